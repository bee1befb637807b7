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
} from '../../lib';
import { Recorder, sleep } from '../support/recorder';
import { ConsumerConfigurationError } from '../../lib/errors';

class Job {}

@Injectable()
@MessageConsumer({ queue: 'jobs', concurrency: 1 })
class JobConsumer {
  running = 0;
  mostRunning = 0;
  starts = 0;

  @OnMessage()
  async run(_: Job): Promise<void> {
    this.starts++;
    this.mostRunning = Math.max(this.mostRunning, ++this.running);
    await sleep(400);
    this.running--;
  }
}

describe('a handler that times out, with idempotency on', () => {
  it('keeps its slot and its claim until it really ends, so the retry neither runs beside it nor runs it again', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: new InMemoryBackend() },
          consumers: { handlerTimeoutMs: 50, retry: { initialDelayMs: 20, maxDelayMs: 20 }, idempotency: { store: new InMemoryIdempotencyStore(), leaseMs: 1000 } },
        }),
      ],
      providers: [JobConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const duplicates = new Recorder<number>();
    app.get(MelangeEvents).on('duplicate', (event) => duplicates.record(event.receiveCount));

    await app.get(MelangePublisher).publish(new Job(), { queue: 'jobs' });
    // The late success is remembered: the retry finds the message done and deletes it.
    const retries = await duplicates.waitFor(1);
    const consumer = app.get(JobConsumer);
    const seen = { retries, starts: consumer.starts, mostRunning: consumer.mostRunning };
    await app.close();

    expect(seen).toEqual({ retries: [2], starts: 1, mostRunning: 1 });
  });

  it('refuses a lease no longer than the handler timeout', async () => {
    const failure = Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          consumers: { handlerTimeoutMs: 60_000, idempotency: { store: new InMemoryIdempotencyStore(), leaseMs: 30_000 } },
        }),
      ],
      providers: [JobConsumer],
    }).compile();

    await expect(failure).rejects.toThrow(ConsumerConfigurationError);
    await expect(failure).rejects.toThrow('consumers.idempotency.leaseMs (30000 ms) must be longer than consumers.handlerTimeoutMs (60000 ms)');
  });
});
