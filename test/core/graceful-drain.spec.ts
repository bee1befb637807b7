import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type ConsumeOptions, type ConsumerHandle, type DeliveryHandler } from '../../lib';
import { deferred, Recorder, sleep } from '../support/recorder';

class SlowJob {
  constructor(readonly id: number) {}
}

@Injectable()
@MessageConsumer({ queue: 'jobs', concurrency: 2 })
class SlowConsumer {
  readonly started = new Recorder<number>();
  readonly finished: number[] = [];
  readonly release = deferred();

  @OnMessage()
  async run(job: SlowJob): Promise<void> {
    this.started.record(job.id);
    await this.release.promise;
    await sleep(50); // still running well after shutdown began
    this.finished.push(job.id);
  }
}

/** An in-memory broker that tells when a consumer has been told to stop (and so receives no more). */
class StopWatchingBackend extends InMemoryBackend {
  readonly stopRequested = deferred();

  override consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    const handle = super.consume(queue, handler, options);
    const stop = handle.stop.bind(handle);
    handle.stop = () => {
      const stopped = stop();
      this.stopRequested.resolve();
      return stopped;
    };
    return handle;
  }
}

describe('app.close() drains consumers', () => {
  let app: INestApplication;
  let backend: StopWatchingBackend;

  beforeEach(async () => {
    backend = new StopWatchingBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: backend }, consumers: { shutdownTimeoutMs: 5000 } })],
      providers: [SlowConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  it('waits for in-flight handlers, starts no new ones, and leaves the rest on the queue', async () => {
    const publisher = app.get(MelangePublisher);
    for (const id of [1, 2, 3, 4]) await publisher.publish(new SlowJob(id), { queue: 'jobs' });
    const consumer = app.get(SlowConsumer);
    await consumer.started.waitFor(2);

    const closing = app.close();
    // Free the slots only once the consumer has stopped receiving: jobs 3 and 4 must stay queued.
    await backend.stopRequested.promise;
    consumer.release.resolve();
    await closing;

    expect(consumer.finished.sort()).toEqual([1, 2]);
    expect(consumer.started.items).toHaveLength(2);
    expect(backend.waitingIn('jobs').map((envelope) => JSON.parse(envelope.payload).id)).toEqual([3, 4]);
  });
});
