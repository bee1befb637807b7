import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InMemoryBackend,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  type MelangeEventName,
  type MessageContext,
} from '../../lib';
import { EventLog } from '../support/recorder';

class Job {
  constructor(readonly failTimes: number) {}
}

@Injectable()
@MessageConsumer('jobs')
class JobsConsumer {
  @OnMessage()
  run(job: Job, context: MessageContext): void {
    if (context.receiveCount <= job.failTimes) throw new Error('not yet');
  }
}

describe('lifecycle events', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;

  beforeAll(async () => {
    backend = new InMemoryBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'jobs', deadLetterQueue: 'jobs-dlq' }] },
          consumers: { retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 } },
        }),
      ],
      providers: [JobsConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(() => app.close());

  it('counts publishes, receives, successes, retries, dead-letters and decode failures, with durations', async () => {
    const events = app.get(MelangeEvents);
    const counts: Partial<Record<MelangeEventName, number>> = {};
    const durations: number[] = [];
    const names: MelangeEventName[] = ['published', 'received', 'handled', 'retried', 'dead-lettered', 'decode-failed'];
    const unsubscribe = names.map((name) =>
      events.on(name, (event) => {
        counts[name] = (counts[name] ?? 0) + 1;
        if ('durationMs' in event) durations.push(event.durationMs);
      }),
    );
    // A listener that throws must not change what happens to messages.
    unsubscribe.push(events.on('handled', () => {
      throw new Error('broken metrics');
    }));

    const log = new EventLog(events);
    const publisher = app.get(MelangePublisher);
    const atOnce = await publisher.publish(new Job(0), { queue: 'jobs' }); // handled at once
    const retried = await publisher.publish(new Job(1), { queue: 'jobs' }); // retried once, then handled
    const failing = await publisher.publish(new Job(9), { queue: 'jobs' }); // retried once, then dead-lettered
    await backend.send('jobs', { payload: '{', manifest: 'Job', serializerId: 1, messageId: 'bad', attributes: {} });
    // Each message's last event: nothing follows these.
    await Promise.all([
      log.waitFor('handled', atOnce.messageId),
      log.waitFor('handled', retried.messageId),
      log.waitFor('dead-lettered', failing.messageId),
      log.waitFor('dead-lettered', 'bad'),
    ]);
    log.close();
    unsubscribe.forEach((off) => off());

    expect(counts).toEqual({ published: 3, received: 6, handled: 2, retried: 2, 'dead-lettered': 2, 'decode-failed': 1 });
    expect(durations.every((ms) => ms >= 0)).toBe(true);
    expect(backend.waitingIn('jobs-dlq').map((envelope) => envelope.messageId)).toContain('bad');
  });
});
