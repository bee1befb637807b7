import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, Message, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type Envelope, type MessageContext } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { EventLog, Recorder } from '../support/recorder';

@Message('charges.charge-requested')
class ChargeRequested {
  constructor(readonly failTimes: number) {}
}

@Injectable()
@MessageConsumer('charges')
class ChargesConsumer {
  readonly attempts = new Recorder<number>();

  @OnMessage()
  charge(message: ChargeRequested, context: MessageContext): void {
    this.attempts.record(context.receiveCount);
    if (context.receiveCount <= message.failTimes) throw new Error(`card declined (attempt ${context.receiveCount})`);
  }
}

function envelope(overrides: Partial<Envelope>): Envelope {
  return { payload: '{"failTimes":0}', manifest: 'charges.charge-requested', serializerId: 1, messageId: 'm-1', attributes: {}, ...overrides };
}

describe('what becomes of a message that fails', () => {
  let app: INestApplication;
  let backend: InMemoryBackend;
  let logger: CapturingLogger;
  let events: EventLog;

  async function start(queues: { name: string; deadLetterQueue?: string }[]): Promise<void> {
    backend = new InMemoryBackend();
    logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues },
          consumers: { retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 20 } },
        }),
      ],
      providers: [ChargesConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger }).init();
    events = new EventLog(app.get(MelangeEvents));
  }

  afterEach(() => app.close());

  it('a handler error is retried with backoff until the handler succeeds, then acked', async () => {
    await start([{ name: 'charges', deadLetterQueue: 'charges-dlq' }]);

    const { messageId } = await app.get(MelangePublisher).publish(new ChargeRequested(2), { queue: 'charges' });

    expect(await app.get(ChargesConsumer).attempts.waitFor(3)).toEqual([1, 2, 3]);
    await events.waitFor('handled', messageId);
    expect(backend.waitingIn('charges')).toEqual([]);
    expect(backend.inFlightIn('charges')).toBe(0);
    expect(backend.waitingIn('charges-dlq')).toEqual([]);
    expect(logger.messages('warn')[0]).toMatch(
      /^Message \S+ \(charges\.charge-requested\) on queue "charges" ChargesConsumer\.charge failed on attempt 1: card declined \(attempt 1\); retrying in \d+ ms$/,
    );
  });

  it('a handler that keeps failing is dead-lettered after maxAttempts, with the reason', async () => {
    await start([{ name: 'charges', deadLetterQueue: 'charges-dlq' }]);

    const { messageId } = await app.get(MelangePublisher).publish(new ChargeRequested(99), { queue: 'charges' });
    await app.get(ChargesConsumer).attempts.waitFor(3);
    await events.waitFor('dead-lettered', messageId);

    const [dead] = backend.waitingIn('charges-dlq');
    expect(dead.messageId).toBe(messageId);
    expect(dead.attributes.melange_dead_letter_reason).toBe(
      'ChargesConsumer.charge failed on attempt 3: card declined (attempt 3) (no attempts left of 3)',
    );
    expect(app.get(ChargesConsumer).attempts.items).toEqual([1, 2, 3]);
    // One line per outcome, each naming the message: no stack-only lines from Nest's default filter.
    expect(logger.messages('warn')).toHaveLength(2);
    expect(logger.messages('error')).toEqual([expect.stringMatching(new RegExp(`^Message ${messageId} .* moved to the dead-letter queue`))]);
  });

  it.each([
    ['a malformed body', envelope({ payload: '{"failTimes":' }), /cannot be handled: .*JSON/],
    ['an unknown serializer id', envelope({ serializerId: 2 }), /No serializer with id 2 is registered .* Id 2 is Python pickle/],
    ['an unknown manifest', envelope({ manifest: 'charges.unknown' }), /No handler on queue "charges" for message "charges.unknown" \(handled here: charges.charge-requested\)/],
    ['no manifest', envelope({ manifest: undefined }), /has no manifest attribute/],
  ])('%s goes to the dead-letter queue at once, without running a handler', async (_, bad, reason) => {
    await start([{ name: 'charges', deadLetterQueue: 'charges-dlq' }]);

    await backend.send('charges', bad);
    await events.waitFor('dead-lettered', 'm-1');

    const [dead] = backend.waitingIn('charges-dlq');
    expect(dead.messageId).toBe('m-1');
    expect(dead.attributes.melange_dead_letter_reason).toMatch(reason);
    expect(app.get(ChargesConsumer).attempts.items).toEqual([]);
    expect(logger.messages('error')).toEqual([expect.stringMatching(/^Message m-1 .* on queue "charges" moved to the dead-letter queue: /)]);
  });

  it('without a dead-letter queue, an undecodable message is logged and kept, not dropped', async () => {
    await start([{ name: 'charges' }]);

    await backend.send('charges', envelope({ payload: 'not json' }));
    await events.waitFor('retried', 'm-1');

    // It comes back every maxDelayMs (20 ms here) and is reported each time.
    expect(backend.inFlightIn('charges') + backend.waitingIn('charges').length).toBe(1);
    expect(logger.messages('error')[0]).toMatch(
      /^Message m-1 \(charges.charge-requested\) on queue "charges" cannot be handled: .* The queue has no dead-letter queue, so the message stays on it/,
    );
  });

  it('a good message after bad ones is still handled: the consume loop goes on', async () => {
    await start([{ name: 'charges', deadLetterQueue: 'charges-dlq' }]);

    await backend.send('charges', envelope({ payload: '???', messageId: 'bad' }));
    await app.get(MelangePublisher).publish(new ChargeRequested(0), { queue: 'charges' });

    expect(await app.get(ChargesConsumer).attempts.waitFor(1)).toEqual([1]);
  });
});
