import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import {
  InMemoryBackend,
  InMemoryIdempotencyStore,
  MelangeEvents,
  MelangeModule,
  MessageConsumer,
  OnMessage,
  RedisIdempotencyStore,
  type Envelope,
  type IdempotencyStore,
  type MessageContext,
} from '../../lib';
import { Recorder, sleep } from '../support/recorder';

class Charge {
  constructor(readonly amount: number) {}
}

@Injectable()
@MessageConsumer('charges')
class ChargesConsumer {
  readonly runs = new Recorder<string>();

  @OnMessage()
  async charge(charge: Charge, context: MessageContext): Promise<void> {
    this.runs.record(`${context.messageId}#${context.receiveCount}`);
    if (charge.amount < 0) throw new Error('negative');
  }
}

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'; // set by Jest's global setup

function envelope(messageId: string, amount = 10): Envelope {
  return { payload: JSON.stringify({ amount }), manifest: 'Charge', serializerId: 1, messageId, attributes: {} };
}

/** The same contract, whichever store: the states a key goes through. */
function describeStore(name: string, create: () => { store: IdempotencyStore; close?: () => Promise<void> }) {
  describe(name, () => {
    let store: IdempotencyStore;
    let close: (() => Promise<void>) | undefined;

    beforeEach(() => ({ store, close } = create()));
    afterEach(() => close?.());

    it('starts a key once, reports it in progress during the lease, and done after completion', async () => {
      const key = randomUUID();

      expect(await store.begin(key, 10_000)).toBe('started');
      expect(await store.begin(key, 10_000)).toBe('in-progress');
      await store.complete(key, 10_000);
      expect(await store.begin(key, 10_000)).toBe('done');
    });

    it('lets the next delivery start after a failure (abandon) or a crash (lease runs out)', async () => {
      const failed = randomUUID();
      const crashed = randomUUID();

      await store.begin(failed, 10_000);
      await store.abandon(failed);
      await store.begin(crashed, 30);
      await sleep(60);

      expect(await store.begin(failed, 10_000)).toBe('started');
      expect(await store.begin(crashed, 10_000)).toBe('started');
    });

    it('forgets a handled message after its ttl', async () => {
      const key = randomUUID();
      await store.begin(key, 10_000);
      await store.complete(key, 30);
      await sleep(60);

      expect(await store.begin(key, 10_000)).toBe('started');
    });
  });
}

describe('idempotency stores', () => {
  describeStore('InMemoryIdempotencyStore', () => ({ store: new InMemoryIdempotencyStore() }));
  describeStore('RedisIdempotencyStore (Redis on 127.0.0.1:6379)', () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 1 });
    return { store: new RedisIdempotencyStore(redis, `melange-test:${randomUUID()}:`), close: async () => void (await redis.quit()) };
  });

  it('InMemoryIdempotencyStore stays within its size bound, dropping the oldest keys', async () => {
    const store = new InMemoryIdempotencyStore(3);
    for (const key of ['a', 'b', 'c', 'd']) {
      await store.begin(key, 10_000);
      await store.complete(key, 10_000);
    }

    expect(store.size).toBe(3);
    expect(await store.begin('a', 10_000)).toBe('started');
    expect(await store.begin('d', 10_000)).toBe('done');
  });
});

describe('consumers.idempotency', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;
  let redis: Redis;

  beforeEach(async () => {
    backend = new InMemoryBackend();
    redis = new Redis(REDIS_URL);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          consumers: {
            concurrency: 1,
            retry: { initialDelayMs: 1, maxDelayMs: 5 },
            idempotency: { store: new RedisIdempotencyStore(redis, `melange-test:${randomUUID()}:`), leaseMs: 50 },
          },
        }),
      ],
      providers: [ChargesConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterEach(async () => {
    await app.close();
    await redis.quit();
  });

  it('runs the handler once for a message delivered twice, and deletes the duplicate', async () => {
    const duplicates = new Recorder<string>();
    app.get(MelangeEvents).on('duplicate', (event) => duplicates.record(event.messageId));

    await backend.send('charges', envelope('same-id'));
    await app.get(ChargesConsumer).runs.waitFor(1);
    await backend.send('charges', envelope('same-id'));
    await duplicates.waitFor(1);

    expect(app.get(ChargesConsumer).runs.items).toEqual(['same-id#1']);
    expect(backend.waitingIn('charges')).toEqual([]);
    expect(backend.inFlightIn('charges')).toBe(0);
  });

  it('runs the handler again after a failure: a failed attempt does not count as handled', async () => {
    await backend.send('charges', envelope('fails', -1));

    expect(await app.get(ChargesConsumer).runs.waitFor(2)).toEqual(['fails#1', 'fails#2']);
  });
});
