import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  Message,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  RedisIdempotencyStore,
  SqsBackend,
  type IdempotencyStore,
  type MessageContext,
} from '../../lib';
import { idempotencyKey } from '../../lib/idempotency/idempotency-key';
import { FaultProxy } from '../faults/tcp-proxy';
import { REDIS_URL_ENV } from '../support/local-redis';
import { Recorder, sleep } from '../support/recorder';
import { CREDENTIALS, plainSqs, queueAttributes, REGION, silentLogger, sqsEndpoint, uniqueName, waitFor } from '../support/sqs';

const QUEUE = uniqueName('redis-outage');
const DEAD_LETTERS = `${QUEUE}-dlq`;
const PREFIX = `melange-test:${randomUUID()}:`;
const MESSAGES = 10;
/**
 * Longer than the queue's 2 s visibility timeout, so held messages must be renewed, and than the
 * first five pauses of the claim's backoff (100 + 200 + 400 + 800 + 1600 ms).
 */
const OUTAGE_MS = 3500;

@Message('payments.capture')
class Capture {
  constructor(readonly n: number) {}
}

/** What a handler run saw: whether the store held its claim, as Redis itself says. */
interface Run {
  readonly messageId: string;
  readonly claimed: boolean;
}

/** Asks Redis directly, not through the proxy, so it sees the store even during the outage. */
let direct: Redis;

@Injectable()
@MessageConsumer(QUEUE)
class CaptureConsumer {
  readonly runs = new Recorder<Run>();

  @OnMessage()
  async capture(_: Capture, context: MessageContext): Promise<void> {
    const key = PREFIX + idempotencyKey({ queue: context.queue, manifest: context.manifest, messageId: context.messageId });
    this.runs.record({ messageId: context.messageId, claimed: (await direct.get(key)) === 'in-progress' });
  }
}

/** The real Redis store, counting the claims each message asks for. */
class CountedStore implements IdempotencyStore {
  readonly claims = new Map<string, number>();
  constructor(private readonly inner: IdempotencyStore) {}

  begin(key: string, leaseMs: number): Promise<'started' | 'in-progress' | 'done'> {
    this.claims.set(key, (this.claims.get(key) ?? 0) + 1);
    return this.inner.begin(key, leaseMs);
  }
  complete(key: string, ttlMs: number): Promise<void> {
    return this.inner.complete(key, ttlMs);
  }
  abandon(key: string): Promise<void> {
    return this.inner.abandon(key);
  }
}

describe('a Redis outage under the idempotency store, on SQS', () => {
  let proxy: FaultProxy;
  let redis: Redis;
  let store: CountedStore;
  let app: INestApplication;
  const received = new Recorder<number>();
  const handled = new Recorder<string>();

  beforeAll(async () => {
    const redisUrl = process.env[REDIS_URL_ENV] ?? 'redis://127.0.0.1:6379';
    proxy = await FaultProxy.start(redisUrl);
    direct = new Redis(redisUrl);
    // Fail fast, as the reproduction did: no offline queue, no retry of a command, and a
    // quick reconnect so that the store answers soon after the network does.
    redis = new Redis(`redis://127.0.0.1:${new URL(proxy.endpoint).port}`, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    redis.on('error', () => undefined); // each refused reconnect is reported here; the store's callers see the failures
    await waitFor(() => redis.status === 'ready', 5000, 'the Redis client to connect');
    store = new CountedStore(new RedisIdempotencyStore(redis, PREFIX));
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: {
            default: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }),
          },
          infrastructure: {
            // Redrive after 2 receives: a claim failure that spends a receive shows at once.
            queues: [{ name: DEAD_LETTERS }, { name: QUEUE, visibilityTimeout: 2, deadLetterQueue: DEAD_LETTERS, maxReceiveCount: 2 }],
          },
          consumers: {
            // Room beyond the held messages, so one that came back from the broker would be taken again.
            concurrency: MESSAGES + 10,
            retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 50 },
            idempotency: { store, leaseMs: 30_000 },
          },
        }),
      ],
      providers: [CaptureConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    app.get(MelangeEvents).on('received', (event) => received.record(event.receiveCount));
    app.get(MelangeEvents).on('handled', (event) => handled.record(event.messageId));
  });

  afterAll(async () => {
    await app.close();
    redis.disconnect();
    await direct.quit();
    await proxy.close();
  });

  it('holds every message while Redis is down, spends no receive, dead-letters none, and handles each once, claimed, when it is back', async () => {
    proxy.cut();
    const ids = Array.from({ length: MESSAGES }, () => randomUUID());
    for (const [n, messageId] of ids.entries()) await app.get(MelangePublisher).publish(new Capture(n), { queue: QUEUE }, { messageId });
    await received.waitFor(MESSAGES, 10_000);
    // The fault: Redis stays unreachable for a fixed time, as a real outage does. Outcomes are
    // awaited below, after it ends.
    await sleep(OUTAGE_MS);
    const runsDuringOutage = app.get(CaptureConsumer).runs.items.length;
    proxy.restore();
    await everyMessageEnded();

    const sqs = plainSqs();
    const deadLettered = Number((await queueAttributes(sqs, DEAD_LETTERS)).ApproximateNumberOfMessages);
    sqs.destroy();
    expect({ runsDuringOutage, deadLettered, receiveCounts: received.items }).toEqual({
      runsDuringOutage: 0,
      deadLettered: 0,
      receiveCounts: new Array(MESSAGES).fill(1),
    });
    expect([...handled.items].sort()).toEqual([...ids].sort());
    expect(app.get(CaptureConsumer).runs.items.filter((run) => !run.claimed)).toEqual([]);
    // The outage really outlasted the backoff: each message asked again and again while held.
    expect(Math.min(...store.claims.values())).toBeGreaterThanOrEqual(5);
  }, 30_000);

  /**
   * Each message handled, or moved to the dead-letter queue by SQS's redrive: the two ways it can
   * end, so that a spec run against the old behaviour ends too, and its assertions say what went wrong.
   */
  async function everyMessageEnded(): Promise<void> {
    const sqs = plainSqs();
    let deadLettered = 0;
    const lookAtDeadLetters = async (): Promise<void> => {
      deadLettered = Number((await queueAttributes(sqs, DEAD_LETTERS)).ApproximateNumberOfMessages);
    };
    try {
      const deadline = Date.now() + 15_000;
      while (handled.items.length + deadLettered < MESSAGES) {
        if (Date.now() > deadline) throw new Error(`after 15 s, ${handled.items.length} handled and ${deadLettered} dead-lettered of ${MESSAGES}`);
        await Promise.all([lookAtDeadLetters(), handled.waitFor(handled.items.length + 1, 200).catch(() => undefined)]);
      }
    } finally {
      sqs.destroy();
    }
  }
});
