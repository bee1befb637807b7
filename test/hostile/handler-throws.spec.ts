import 'reflect-metadata';
import { Catch, HttpException, Injectable, UseFilters, type ExceptionFilter } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage, type Delivery } from '../../lib';
import { BackendFactory, DeliveryRecorder, envelope, uniqueName, waitFor } from '../support/sqs';
import { CapturingLogger } from '../support/capturing-logger';
import { HostileApp } from './hostile-harness';

/*
 * Handlers throw whatever they like. Each shape below takes the normal path: retried with
 * backoff, then dead-lettered with a reason that describes it, with its events; nothing escapes
 * as an unhandled rejection (the spec environment fails the test if one does).
 */

const QUEUE = 'hostile-throws';

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function errorWithThrowingMessage(): Error {
  const error = new Error('unused');
  Object.defineProperty(error, 'message', { get: () => { throw new Error('message getter'); } });
  return error;
}

function circular(): object {
  const value: Record<string, unknown> = { name: 'loop' };
  value.self = value;
  return value;
}

class BrokenHttpException extends HttpException {
  override getResponse(): never {
    throw new Error('getResponse throws');
  }
}

/** What each kind of message makes the handler throw, and how the reason must describe it. */
const SHAPES: Record<string, { readonly make: () => unknown; readonly described: RegExp }> = {
  null: { make: () => null, described: /: null \(thrown instead of an Error\)/ },
  undefined: { make: () => undefined, described: /: undefined \(thrown instead of an Error\)/ },
  'a string': { make: () => 'plain string', described: /: plain string \(no attempts left/ },
  'a symbol': { make: () => Symbol('sym'), described: /: Symbol\(sym\) \(thrown instead of an Error\)/ },
  'a BigInt': { make: () => 10n, described: /: 10n \(thrown instead of an Error\)/ },
  'a number': { make: () => 42, described: /: 42 \(thrown instead of an Error\)/ },
  'a function': { make: () => () => undefined, described: /: a function \(thrown instead of an Error\)/ },
  'a circular object': { make: circular, described: /: an object that cannot be described \(thrown instead of an Error\)/ },
  'an object whose toString throws': {
    make: () => ({ toString: () => { throw new Error('toString throws'); } }),
    described: /: \{\} \(thrown instead of an Error\)/,
  },
  'a null-prototype object whose toString throws': {
    make: () => Object.assign(Object.create(null) as object, { toString: () => { throw new Error('no'); }, code: 7 }),
    described: /: \{"code":7\} \(thrown instead of an Error\)/,
  },
  'a bare null-prototype object': { make: () => Object.create(null) as object, described: /: \{\} \(thrown instead of an Error\)/ },
  'an Error whose message getter throws': { make: errorWithThrowingMessage, described: /: Error whose message cannot be read/ },
  'a revoked Proxy': { make: revokedProxy, described: /: a Proxy \(thrown instead of an Error\)/ },
  'an HttpException whose getResponse throws': {
    make: () => new BrokenHttpException('broken', 500),
    described: /: broken \(no attempts left/,
  },
  'an Error with control characters in its message': {
    make: () => new Error('line one\nFAKE LOG LINE\u001b[31m'),
    described: /: line one\\nFAKE LOG LINE\\u001b\[31m/,
  },
};

@Message('hostile.explode')
class Explode {
  shape!: string;
}

class DeclinedError extends Error {}

/** A filter for an error no handler here throws, so every thrown value is tested against @Catch's class. */
@Catch(DeclinedError)
class OnlyDeclined implements ExceptionFilter {
  catch(): void {
    throw new Error('never chosen');
  }
}

@Injectable()
@MessageConsumer(QUEUE)
@UseFilters(new OnlyDeclined())
class ExplodingConsumer {
  @OnMessage()
  explode(message: Explode): void {
    throw SHAPES[message.shape]!.make();
  }
}

describe('handlers that throw values of every shape', () => {
  const harness = new HostileApp(QUEUE, [ExplodingConsumer]);
  const ids = new Map<string, string>();

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  it.each(Object.keys(SHAPES))('%s: retried, then dead-lettered with a reason that describes it', async (shape) => {
    const { messageId } = await harness.app.get(MelangePublisher).publish(Object.assign(new Explode(), { shape }), { queue: QUEUE });
    ids.set(messageId, shape);

    const outcome = await harness.outcomes.final(messageId);

    expect(outcome).toEqual({
      outcome: 'dead-lettered',
      reason: expect.stringMatching(/^ExplodingConsumer\.explode failed on attempt 2: .* \(no attempts left of 2\)$/),
    });
    expect((outcome as { reason: string }).reason).toMatch(SHAPES[shape]!.described);
    // The retry's event follows its visibility change, which a redelivery at once can overtake.
    expect(harness.outcomes.eventsOf(messageId).sort()).toEqual(['dead-lettered', 'received', 'received', 'retried']);
  });

  it('lost none of them: each is in the dead-letter queue, none left on the queue; no log line has a raw control character', async () => {
    const dead = await harness.drainDeadLetters(ids.size);

    expect(dead.map((message) => ids.get(message.MessageAttributes?.melange_message_id?.StringValue ?? '')).sort()).toEqual([...ids.values()].sort());
    expect(await harness.messagesLeftOnQueue()).toBe(0);
    expect(harness.unsafeLogLines()).toEqual([]);
  });
});

describe('a backend handler that throws a value whose description throws', () => {
  const factory = new BackendFactory();
  afterAll(() => factory.closeAll());

  it('is logged with the message id, and the message comes back to be handled', async () => {
    const logger = new CapturingLogger();
    const backend = factory.create({ logger, visibilityTimeout: 1 });
    const queue = uniqueName('hostile-backend-throws');
    await backend.declareQueue({ name: queue });
    let calls = 0;
    const recorder = new DeliveryRecorder(async (delivery: Delivery) => {
      if (++calls === 1) throw revokedProxy();
      await delivery.ack();
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    const sent = envelope();

    await backend.send(queue, sent);
    await waitFor(() => recorder.deliveries.length === 2, 10_000, 'the second delivery');
    await consumer.stop();

    expect(recorder.deliveries.map((delivery) => delivery.receiveCount)).toEqual([1, 2]);
    expect(logger.messages('error')).toEqual([
      `queue=${queue} message=${sent.messageId}: handler failed, the message comes back after its visibility timeout: a Proxy (thrown instead of an Error)`,
    ]);
  });
});
