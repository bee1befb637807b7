import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { Recorder, sleep } from '../support/recorder';

class Slow {}

@Injectable()
@MessageConsumer('slow')
class SlowConsumer {
  readonly attempts = new Recorder<number>();

  @OnMessage()
  async run(_: Slow, context: MessageContext): Promise<void> {
    this.attempts.record(context.receiveCount);
    // Only the first attempt is slow.
    if (context.receiveCount === 1) await sleep(200);
  }
}

describe('consumers.handlerTimeoutMs', () => {
  let app: INestApplication;
  let logger: CapturingLogger;

  beforeAll(async () => {
    logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: new InMemoryBackend() },
          consumers: { handlerTimeoutMs: 50, retry: { initialDelayMs: 1 } },
        }),
      ],
      providers: [SlowConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger }).init();
  });

  afterAll(() => app.close());

  it('counts a handler that runs too long as failed, and retries the message', async () => {
    await app.get(MelangePublisher).publish(new Slow(), { queue: 'slow' });

    expect(await app.get(SlowConsumer).attempts.waitFor(2)).toEqual([1, 2]);
    expect(logger.messages('warn')[0]).toMatch(/SlowConsumer.run failed on attempt 1: handler did not finish within 50 ms/);
  });
});
