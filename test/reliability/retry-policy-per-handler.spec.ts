import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { RetryPolicy } from '../../lib/consuming/retry-policy';
import { EventLog, Recorder } from '../support/recorder';

class Fragile {}
class Sturdy {}

@Injectable()
@MessageConsumer({ queue: 'work', retry: { maxAttempts: 3, initialDelayMs: 1 } })
class WorkConsumer {
  readonly attempts = new Recorder<string>();

  @OnMessage()
  fragile(_: Fragile, context: MessageContext): void {
    this.attempts.record(`fragile#${context.receiveCount}`);
    throw new Error('fragile fails');
  }

  @OnMessage(Sturdy, { retry: { maxAttempts: 5 } })
  sturdy(_: Sturdy, context: MessageContext): void {
    this.attempts.record(`sturdy#${context.receiveCount}`);
    throw new Error('sturdy fails');
  }
}

describe('retry policy per consumer and per handler', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;

  beforeAll(async () => {
    backend = new InMemoryBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'work', deadLetterQueue: 'work-dlq' }] },
          consumers: { retry: { maxAttempts: 10, initialDelayMs: 1000, maxDelayMs: 2 } },
        }),
      ],
      providers: [WorkConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(() => app.close());

  it('takes each field from the handler, then the consumer, then the module', async () => {
    const events = new EventLog(app.get(MelangeEvents));
    const fragile = await app.get(MelangePublisher).publish(new Fragile(), { queue: 'work' });
    const sturdy = await app.get(MelangePublisher).publish(new Sturdy(), { queue: 'work' });
    // Dead-lettered: no attempt comes after these.
    await Promise.all([events.waitFor('dead-lettered', fragile.messageId), events.waitFor('dead-lettered', sturdy.messageId)]);

    const attempts = app.get(WorkConsumer).attempts.items;
    expect(attempts.filter((a) => a.startsWith('fragile'))).toEqual(['fragile#1', 'fragile#2', 'fragile#3']);
    expect(attempts.filter((a) => a.startsWith('sturdy'))).toEqual(['sturdy#1', 'sturdy#2', 'sturdy#3', 'sturdy#4', 'sturdy#5']);
    expect(backend.waitingIn('work-dlq').map((e) => e.manifest).sort()).toEqual(['Fragile', 'Sturdy']);
  });
});

describe('RetryPolicy backoff', () => {
  it('doubles from the initial delay, with up to half of it random, capped at the maximum', () => {
    const policy = new RetryPolicy({ initialDelayMs: 1000, maxDelayMs: 5000 });

    expect([1, 2, 3, 4].map((n) => policy.delayAfter(n, () => 0))).toEqual([500, 1000, 2000, 2500]);
    expect([1, 2, 3, 4].map((n) => policy.delayAfter(n, () => 1))).toEqual([1000, 2000, 4000, 5000]);
  });
});
