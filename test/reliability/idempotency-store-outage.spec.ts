import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type IdempotencyStore } from '../../lib';
import { Recorder, sleep } from '../support/recorder';

class Pay {}

@Injectable()
@MessageConsumer('pay')
class PayConsumer {
  runs = 0;

  @OnMessage()
  async run(_: Pay): Promise<void> {
    this.runs++;
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
  it('delays messages without counting it against their handler: none is dead-lettered, each runs once the store is back', async () => {
    const backend = new InMemoryBackend();
    const store = new FlakyStore(5);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'pay-dlq' }, { name: 'pay', deadLetterQueue: 'pay-dlq' }] },
          consumers: { retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 5 }, idempotency: { store } },
        }),
      ],
      providers: [PayConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();

    await app.get(MelangePublisher).publish(new Pay(), { queue: 'pay' });
    await store.claims.waitFor(6);
    await sleep(30);
    const result = { runs: app.get(PayConsumer).runs, deadLettered: backend.waitingIn('pay-dlq').length };
    await app.close();

    expect(result).toEqual({ runs: 1, deadLettered: 0 });
  });
});
