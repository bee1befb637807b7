import 'reflect-metadata';
import { fc, test } from '@fast-check/jest';
import type { Message as SqsMessage, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, Message, MelangeModule, MessageConsumer, OnMessage, type Delivery } from '../../lib';
import { decodeSqsMessage } from '../../lib/backends/sqs/sqs-wire-format';
import type { DispatchTable } from '../../lib/consuming/dispatch-table';
import { MessageDispatcher } from '../../lib/consuming/message-dispatcher';
import { MessageHandlerExplorer } from '../../lib/consuming/message-handler.explorer';
import { CapturingLogger } from '../support/capturing-logger';

/*
 * Arbitrary SQS messages (bodies, attribute maps with hostile names and malformed values) and
 * arbitrary thrown values, through the path a received message takes: `decodeSqsMessage`, then
 * the dispatcher with the app's real dispatch table, handlers, retry policy and serializers. Only
 * the broker is left out: each delivery records what the dispatcher decided. Invariants: nothing
 * throws or rejects, each message ends in exactly one outcome, and no prototype is touched.
 */

const QUEUE = 'property-queue';
const NUM_RUNS = 1000;

@Message('hostile.order')
class Order {
  id!: string;
}

@Message('hostile.explode')
class Explode {}

/** Makes what the next `explode` call throws; set by each run. */
const thrown: { next: () => unknown } = { next: () => undefined };

@Injectable()
@MessageConsumer(QUEUE)
class PropertyConsumer {
  readonly orders: unknown[] = [];

  @OnMessage()
  order(order: Order): void {
    this.orders.push(order);
  }

  @OnMessage()
  explode(_: Explode): void {
    throw thrown.next();
  }
}

const HOSTILE_NAMES = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__',
  'manifest', 'serializer_id', 'melange_message_id', 'traceparent', 'melange_dead_letter_reason',
];

const attributeValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({ DataType: fc.constantFrom('String', 'Number', 'Binary', 'String.custom', ''), StringValue: fc.string() }),
  fc.record({ DataType: fc.constantFrom('Binary', 'String'), BinaryValue: fc.uint8Array({ maxLength: 16 }) }),
  fc.constantFrom(undefined, null, 'not an object', 7),
  fc.anything(),
);

const attributes = fc.dictionary(fc.oneof(fc.constantFrom(...HOSTILE_NAMES), fc.string({ maxLength: 12 })), attributeValue, { maxKeys: 12 });

const payload: fc.Arbitrary<string> = fc.oneof(
  fc.json(),
  fc.string(),
  fc.constantFrom('{"id":"1"}', '{"__proto__":{"polluted":true},"id":"p"}', '{"constructor":{"prototype":{"polluted":true}}}', '[]', 'null', '5'),
);

const body: fc.Arbitrary<unknown> = fc.oneof(
  payload.map((text) => `{"Message": ${JSON.stringify(text)}}`),
  fc.tuple(payload, attributes).map(([text, snsAttributes]) =>
    JSON.stringify({ Type: 'Notification', MessageId: 'sns-id', TopicArn: 'arn:x', Message: text, MessageAttributes: snsAttributes }),
  ),
  payload,
  fc.string(),
  fc.anything(),
);

const manifestAttribute = fc.constantFrom('hostile.order', 'hostile.explode', 'unknown', 'json', '').map(
  (manifest): MessageAttributeValue => ({ DataType: 'String', StringValue: manifest }),
);

const sqsMessage: fc.Arbitrary<SqsMessage> = fc
  .record({
    MessageId: fc.oneof(fc.uuid(), fc.string(), fc.constant(undefined)),
    Body: body,
    attributes,
    manifest: fc.option(manifestAttribute),
    serializerId: fc.option(fc.constantFrom('1', '2', '999', 'abc', '', '1e3')),
  })
  .map(({ MessageId, Body, attributes: hostile, manifest, serializerId }) => {
    const MessageAttributes: Record<string, unknown> = {};
    // defineProperty, as the SDK's parser leaves a "__proto__" name: an own key, never a prototype.
    for (const [name, value] of Object.entries(hostile)) Object.defineProperty(MessageAttributes, name, { value, enumerable: true, writable: true, configurable: true });
    if (manifest) Object.defineProperty(MessageAttributes, 'manifest', { value: manifest, enumerable: true, writable: true, configurable: true });
    if (serializerId !== null) MessageAttributes.serializer_id = { DataType: 'Number', StringValue: serializerId };
    return { MessageId, Body, MessageAttributes } as SqsMessage;
  });

function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** Values fast-check can hold; the ones it cannot (a revoked Proxy) are made when thrown. */
const thrownValue: fc.Arbitrary<() => unknown> = fc.oneof(
  fc.anything().map((value) => () => value),
  fc.string().map((message) => () => new Error(message)),
  fc.constant(() => revokedProxy()),
  fc.constant(() => ({ toString: () => { throw new Error('toString'); } })),
  fc.constant(() => Object.defineProperty(new Error(), 'message', { get: () => { throw new Error('message'); } })),
);

/**
 * One run fast-check always makes besides its random ones: a handler error on a first delivery,
 * retried. Random runs reach it most of the time, but not in every run of 1,000, and the spec
 * below checks that every outcome was reached.
 */
const RETRIED: [SqsMessage, number, boolean, () => unknown] = [
  {
    MessageId: 'example-retried',
    Body: '{"Message": "{}"}',
    MessageAttributes: { manifest: { DataType: 'String', StringValue: 'hostile.explode' }, serializer_id: { DataType: 'Number', StringValue: '1' } },
  },
  1,
  true,
  () => new Error('the first delivery fails'),
];

/** A delivery that records the decisions taken on it, as a broker would carry them out. */
function recordingDelivery(message: SqsMessage, receiveCount: number, hasDeadLetterQueue: boolean) {
  const decisions: string[] = [];
  const decoded = decodeSqsMessage(message);
  const delivery: Delivery = {
    queue: QUEUE,
    envelope: decoded.envelope,
    undecodable: decoded.undecodable,
    receiveCount,
    ack: async () => void decisions.push('ack'),
    retry: async () => void decisions.push('retry'),
    deadLetter: async () => {
      decisions.push(hasDeadLetterQueue ? 'dead-letter' : 'no dead-letter queue');
      return hasDeadLetterQueue;
    },
  };
  return { delivery, decisions };
}

describe('any message on the wire, through decode and dispatch', () => {
  let app: INestApplication;
  let dispatcher: MessageDispatcher;
  let table: DispatchTable;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  /** How often each outcome came up, to show the runs reach every branch. */
  const tally = new Map<string, number>();

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { memory: new InMemoryBackend() }, startConsumers: false, consumers: { retry: { maxAttempts: 3 } } })],
      providers: [PropertyConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: new CapturingLogger() }).init();
    dispatcher = app.get(MessageDispatcher);
    [table] = app.get(MessageHandlerExplorer).explore() as [DispatchTable];
  });

  afterAll(() => app.close());

  test.prop([sqsMessage, fc.integer({ min: 1, max: 5 }), fc.boolean(), thrownValue], { numRuns: NUM_RUNS, examples: [RETRIED] })(
    'never throws, ends in exactly one outcome, touches no prototype',
    async (message, receiveCount, hasDeadLetterQueue, toThrow) => {
      thrown.next = toThrow;
      const handledBefore = app.get(PropertyConsumer).orders.length;
      const { delivery, decisions } = recordingDelivery(message, receiveCount, hasDeadLetterQueue);

      await expect(dispatcher.dispatch(table, delivery)).resolves.toBeUndefined();

      // One outcome: acknowledged, retried, or dead-lettered (a queue without one retries instead).
      expect([['ack'], ['retry'], ['dead-letter'], ['no dead-letter queue', 'retry']]).toContainEqual(decisions);
      const handled = app.get(PropertyConsumer).orders.slice(handledBefore);
      if (handled.length > 0) {
        expect(handled).toHaveLength(1);
        expect(handled[0]).toBeInstanceOf(Order);
        expect(decisions).toEqual(['ack']);
      }
      if (delivery.undecodable !== undefined) expect(handled).toEqual([]);
      const outcome = handled.length > 0 ? 'handled' : delivery.undecodable !== undefined ? `undecodable, ${decisions.join(' then ')}` : decisions.join(' then ');
      tally.set(outcome, (tally.get(outcome) ?? 0) + 1);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    },
  );

  it('reached every outcome in those runs', () => {
    expect([...tally.keys()].sort()).toEqual(
      expect.arrayContaining(['dead-letter', 'handled', 'no dead-letter queue then retry', 'retry', 'undecodable, dead-letter']),
    );
  });
});
