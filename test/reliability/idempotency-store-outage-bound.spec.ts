import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InMemoryBackend,
  InMemoryIdempotencyStore,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  type IdempotencyStore,
  type MelangeModuleOptions,
} from '../../lib';
import { Recorder } from '../support/recorder';
import { ConsumerConfigurationError } from '../../lib/errors';
import { StoreOutage } from '../../lib/idempotency/store-outage';
import { CapturingLogger } from '../support/capturing-logger';

class Refund {}

@Injectable()
@MessageConsumer('refunds')
class RefundConsumer {
  runs = 0;

  @OnMessage()
  async run(_: Refund): Promise<void> {
    this.runs++;
  }
}

/** Redis that never comes back. */
class DownStore implements IdempotencyStore {
  async begin(): Promise<never> {
    throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
  }
  async complete(): Promise<void> {}
  async abandon(): Promise<void> {}
}

const MAX_WAIT_MS = 300;

/** An app consuming "refunds" (dead-letter queue "refunds-dlq") on an in-memory backend. */
async function start(consumers: NonNullable<MelangeModuleOptions['consumers']>) {
  const backend = new InMemoryBackend();
  const moduleRef = await Test.createTestingModule({
    imports: [
      MelangeModule.forRoot({
        backends: { default: backend },
        infrastructure: { queues: [{ name: 'refunds-dlq' }, { name: 'refunds', deadLetterQueue: 'refunds-dlq', maxReceiveCount: 5 }] },
        consumers,
      }),
    ],
    providers: [RefundConsumer],
  }).compile();
  const app = await moduleRef.createNestApplication({ logger: false }).init();
  return { app, backend };
}

describe('consumers.idempotency.storeOutageMaxWaitMs', () => {
  it('hands a message back to the broker after waiting that long for the store: unhandled, not dead-lettered, delivered again', async () => {
    const { app, backend } = await start({ retry: { maxAttempts: 1 }, idempotency: { store: new DownStore(), storeOutageMaxWaitMs: MAX_WAIT_MS } });
    const retried = new Recorder<{ delayMs: number; durationMs: number; reason: string }>();
    const received = new Recorder<number>();
    app.get(MelangeEvents).on('retried', ({ delayMs, durationMs, reason }) => retried.record({ delayMs, durationMs, reason }));
    app.get(MelangeEvents).on('received', (event) => received.record(event.receiveCount));

    await app.get(MelangePublisher).publish(new Refund(), { queue: 'refunds' });
    const [release] = await retried.waitFor(1);
    const receiveCounts = await received.waitFor(2);
    const outcome = { runs: app.get(RefundConsumer).runs, deadLettered: backend.waitingIn('refunds-dlq').length };
    await app.close();

    expect(release).toEqual({
      delayMs: 1000,
      durationMs: expect.any(Number),
      reason: expect.stringMatching(/^the idempotency store did not answer for \d+ ms \(connect ECONNREFUSED 127\.0\.0\.1:6379\); its handler did not run$/),
    });
    expect(release.durationMs).toBeGreaterThanOrEqual(MAX_WAIT_MS);
    expect(receiveCounts.slice(0, 2)).toEqual([1, 2]);
    expect(outcome).toEqual({ runs: 0, deadLettered: 0 });
  });

  it('is never cut short: each give-up comes after the whole bound has passed, by a monotonic clock', async () => {
    // Short bounds make a clock of whole milliseconds show: it would call 3.2 ms "4 ms".
    const outage = new StoreOutage({ firstDelayMs: 1, maxDelayMs: 2, maxWaitMs: 4 }, new CapturingLogger());
    const short: number[] = [];
    for (let i = 0; i < 40; i++) {
      const startedAt = performance.now();
      const answer = await outage.ask(() => new DownStore().begin(), `message m${i}`);
      const waitedMs = performance.now() - startedAt;
      if (answer.answered || answer.waitedMs < 4 || waitedMs < 4) short.push(waitedMs);
    }
    expect(short).toEqual([]);
  });

  it('does not hold up shutdown: app.close() hands a waiting message back at once instead of waiting out the bound', async () => {
    const { app, backend } = await start({ shutdownTimeoutMs: 20_000, idempotency: { store: new DownStore(), storeOutageMaxWaitMs: 60_000 } });
    const retried = new Recorder<string>();
    const received = new Recorder<number>();
    app.get(MelangeEvents).on('retried', ({ reason }) => retried.record(reason));
    app.get(MelangeEvents).on('received', (event) => received.record(event.receiveCount));
    await app.get(MelangePublisher).publish(new Refund(), { queue: 'refunds' });
    await received.waitFor(1);

    const startedAt = Date.now();
    await app.close();
    const closeMs = Date.now() - startedAt;

    expect(closeMs).toBeLessThan(2000);
    expect(retried.items).toEqual([expect.stringMatching(/its handler did not run$/)]);
    expect({ runs: app.get(RefundConsumer).runs, deadLettered: backend.waitingIn('refunds-dlq').length }).toEqual({ runs: 0, deadLettered: 0 });
  });

  it.each([
    [-1, 'got -1'],
    [1.5, 'got 1.5'],
    [Number.POSITIVE_INFINITY, 'got Infinity'],
    ['60000', 'got the string "60000"'],
  ])('refuses %p with a ConsumerConfigurationError that says what it wants', async (value, got) => {
    const failure = Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          consumers: { idempotency: { store: new InMemoryIdempotencyStore(), storeOutageMaxWaitMs: value as number } },
        }),
      ],
      providers: [RefundConsumer],
    }).compile();

    await expect(failure).rejects.toThrow(ConsumerConfigurationError);
    await expect(failure).rejects.toThrow(
      `consumers.idempotency.storeOutageMaxWaitMs must be a whole number of milliseconds, 0 or more; ${got}. ` +
        'It bounds how long a message is held while the idempotency store does not answer (default 60000).',
    );
  });
});
