import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type IdempotencyStore } from '../../lib';
import { Recorder } from '../support/recorder';
import { waitFor } from '../support/sqs';

class Pay {}

@Injectable()
@MessageConsumer('pay')
class PayConsumer {
  readonly runs = new Recorder<number>();

  @OnMessage()
  async run(_: Pay): Promise<void> {
    this.runs.record(this.runs.items.length + 1);
  }
}

/** Redis is down for the first few claims, then back. */
class FlakyStore implements IdempotencyStore {
  readonly claims = new Recorder<string>();
  constructor(private failuresLeft: number) {}

  async begin(key: string): Promise<'started'> {
    this.claims.record(key);
    if (this.failuresLeft-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    return 'started';
  }
  async complete(): Promise<void> {}
  async abandon(): Promise<void> {}
}

describe('an idempotency store outage', () => {
  it('holds the message and asks the store again in-process: handled on its first receive, nothing dead-lettered or retried', async () => {
    const backend = new InMemoryBackend();
    // Three failures: the claim is asked again after 100, 200 and 400 ms.
    const store = new FlakyStore(3);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          // Redrive after one receive: a claim failure paid for with a receive would dead-letter it.
          infrastructure: { queues: [{ name: 'pay-dlq' }, { name: 'pay', deadLetterQueue: 'pay-dlq', maxReceiveCount: 1 }] },
          consumers: { retry: { maxAttempts: 1, initialDelayMs: 5, maxDelayMs: 5 }, idempotency: { store } },
        }),
      ],
      providers: [PayConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const handled = new Recorder<number>();
    const retried = new Recorder<string>();
    app.get(MelangeEvents).on('handled', (event) => handled.record(event.receiveCount));
    app.get(MelangeEvents).on('retried', (event) => retried.record(event.reason));

    await app.get(MelangePublisher).publish(new Pay(), { queue: 'pay' });
    // Either way the message ends: handled, or moved by the redrive (which reports no event).
    await waitFor(() => handled.items.length > 0 || backend.waitingIn('pay-dlq').length > 0, 5000, 'the message to be handled or dead-lettered');
    const result = {
      receiveCounts: handled.items,
      claims: store.claims.items.length,
      runs: app.get(PayConsumer).runs.items,
      retried: retried.items,
      deadLettered: backend.waitingIn('pay-dlq').length,
      waiting: backend.waitingIn('pay').length,
    };
    await app.close();

    expect(result).toEqual({ receiveCounts: [1], claims: 4, runs: [1], retried: [], deadLettered: 0, waiting: 0 });
  });
});
