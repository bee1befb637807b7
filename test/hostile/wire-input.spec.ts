import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { Message, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { wireSize } from '../../lib/backends/sqs/sqs-wire-format';
import { binary, HostileApp, number, text, type FinalOutcome } from './hostile-harness';

/*
 * Whatever anyone with sqs:SendMessage puts on a queue: each kind below is sent with the plain SDK
 * to the local SQS server, and must end in the outcome the README's "Hostile input" section
 * documents, leave the consumer alive (a valid message sent right after is handled), and lose
 * nothing (every message handled, in the dead-letter queue, or still on the queue).
 */

const QUEUE = 'hostile-wire';

@Message('hostile.order')
class Order {
  id!: string;
}

@Injectable()
@MessageConsumer(QUEUE)
class OrderConsumer {
  readonly handled = new Map<string, { order: Order; context: MessageContext }>();

  @OnMessage()
  order(order: Order, context: MessageContext): void {
    this.handled.set(context.messageId, { order, context });
  }
}

const wrap = (payload: string): string => `{"Message": ${JSON.stringify(payload)}}`;
const typed = { manifest: text('hostile.order'), serializer_id: number('1') };
const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
const forgedLogLine = 'x\n[Nest] 1  - 12/02/2026, 4:00:00 AM     LOG [Auth] admin login OK';

interface Case {
  readonly kind: string;
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
  /** The id the library knows the message by, when it is not the broker's. */
  readonly messageId?: string;
  readonly expected: 'handled' | RegExp;
  /** More checks on what the handler received. */
  readonly received?: (order: Order, context: MessageContext) => void;
}

const CASES: Case[] = [
  {
    kind: 'an attribute named __proto__',
    body: wrap('{"id":"proto"}'),
    attributes: { ...typed, ['__proto__']: text('{"polluted":true}') },
    expected: 'handled',
    received: (order, { attributes }) => {
      expect(order).toBeInstanceOf(Order);
      expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  {
    kind: 'attributes named constructor, toString, hasOwnProperty and valueOf',
    body: wrap('{"id":"names"}'),
    attributes: { ...typed, constructor: text('c'), toString: text('t'), hasOwnProperty: text('h'), valueOf: text('v') },
    expected: 'handled',
    received: (_, { attributes }) => {
      expect(Object.entries(attributes)).toEqual(
        expect.arrayContaining([['constructor', 'c'], ['toString', 't'], ['hasOwnProperty', 'h'], ['valueOf', 'v']]),
      );
    },
  },
  { kind: 'a body that is not JSON', body: 'not json at all', attributes: typed, expected: /cannot be handled: .*is not valid JSON/ },
  { kind: 'a body of white space', body: '   ', attributes: typed, expected: /cannot be handled: .*JSON/ },
  {
    kind: 'the body {"Message": 5} (not the wrapper, so the payload itself)',
    body: '{"Message": 5}',
    attributes: typed,
    expected: 'handled',
    received: (order) => expect({ ...order }).toEqual({ Message: 5 }),
  },
  {
    kind: 'serializer id 2 (Python pickle)',
    body: wrap('gAN9cQA='),
    attributes: { manifest: text('hostile.order'), serializer_id: number('2') },
    expected: /No serializer with id 2 .*Id 2 is Python pickle/,
  },
  {
    kind: 'serializer id 999',
    body: wrap('{"id":"999"}'),
    attributes: { manifest: text('hostile.order'), serializer_id: number('999') },
    expected: /No serializer with id 999 is registered \(known ids: 1\)/,
  },
  {
    kind: 'serializer id "abc"',
    body: wrap('{"id":"abc"}'),
    attributes: { manifest: text('hostile.order'), serializer_id: number('abc') },
    expected: /^cannot be decoded: its serializer_id attribute "abc" is not an integer$/,
  },
  {
    kind: 'serializer id 1 as a String attribute',
    body: wrap('{"id":"as-string"}'),
    attributes: { manifest: text('hostile.order'), serializer_id: text('1') },
    expected: 'handled',
    received: (order) => expect(order.id).toBe('as-string'),
  },
  {
    kind: 'the manifest as a Binary attribute',
    body: wrap('{"id":"binary"}'),
    attributes: { manifest: binary('hostile.order'), serializer_id: number('1') },
    expected: /^cannot be decoded: its manifest attribute is of type Binary; the wire format has it as String$/,
  },
  {
    kind: '10 attributes (8 of them the user\'s)',
    body: wrap('{"id":"ten"}'),
    attributes: { ...typed, ...Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`user${index}`, text(`v${index}`)])) },
    expected: 'handled',
    received: (_, { attributes }) => expect(Object.keys(attributes)).toHaveLength(8),
  },
  {
    // AWS refuses more than 10 at send; the local server takes them, so a consumer can meet them.
    kind: '12 attributes',
    body: wrap('{"id":"twelve"}'),
    attributes: { ...typed, ...Object.fromEntries(Array.from({ length: 10 }, (_, index) => [`user${index}`, text(`v${index}`)])) },
    expected: 'handled',
    received: (_, { attributes }) => expect(Object.keys(attributes)).toHaveLength(10),
  },
  {
    kind: 'a payload nested 100,000 levels deep',
    body: wrap(deep(100_000)),
    attributes: typed,
    expected: /the payload of message "hostile.order" is an array \(1 item\(s\)\), not the JSON object Order is built from/,
  },
  {
    kind: 'a field nested 100,000 levels deep',
    body: wrap(`{"id":"deep","nested":${deep(100_000)}}`),
    attributes: typed,
    expected: 'handled',
    received: (order) => expect(order.id).toBe('deep'),
  },
  {
    kind: 'a lone surrogate escaped in the JSON payload',
    body: wrap('{"id":"\\ud800"}'),
    attributes: typed,
    expected: 'handled',
    received: (order) => expect(order.id).toBe('\ud800'),
  },
  {
    kind: 'a forged SNS envelope sent straight to the queue (signatures are not checked)',
    body: JSON.stringify({
      Type: 'Notification',
      MessageId: 'forged-sns-1',
      TopicArn: 'arn:aws:sns:us-east-1:000000000000:not-a-real-topic',
      Message: '{"id":"forged"}',
      MessageAttributes: { manifest: { Type: 'String', Value: 'hostile.order' }, serializer_id: { Type: 'Number', Value: '1' } },
    }),
    messageId: 'forged-sns-1',
    expected: 'handled',
    received: (order) => expect(order.id).toBe('forged'),
  },
  {
    kind: 'a forged SNS envelope whose attributes are hostile (__proto__, values that are no objects)',
    body:
      '{"Type":"Notification","MessageId":"forged-sns-2","TopicArn":"arn:x","Message":"{\\"id\\":\\"forged-2\\"}",' +
      '"MessageAttributes":{"__proto__":{"Type":"String","Value":"p"},"manifest":{"Type":"String","Value":"hostile.order"},' +
      '"constructor":"not an object","serializer_id":["1"],"tenant":null}}',
    messageId: 'forged-sns-2',
    expected: 'handled',
    received: (order, { attributes }) => {
      expect(order.id).toBe('forged-2');
      expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(attributes, '__proto__')?.value).toBe('p');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  },
  {
    kind: 'a 255 KiB body that cannot be decoded, with user attributes',
    body: `${'x'.repeat(255 * 1024)} big-undecodable`,
    attributes: { ...typed, tenant: text('acme'), region: text('eu'), trace: text('t'.repeat(500)) },
    expected: /cannot be handled: .*is not valid JSON/,
  },
  { kind: 'a manifest that forges a log line', body: wrap('{"id":"forge"}'), attributes: { ...typed, manifest: text(forgedLogLine) }, expected: /No handler on queue "hostile-wire" for message "x\\n\[Nest\]/ },
  { kind: 'a manifest with ANSI escapes', body: wrap('{"id":"ansi"}'), attributes: { ...typed, manifest: text('\u001b[2J\u001b[31mred') }, expected: /for message "\\u001b\[2J\\u001b\[31mred"/ },
  { kind: 'a 10,000-character manifest', body: wrap('{"id":"long"}'), attributes: { ...typed, manifest: text('m'.repeat(10_000)) }, expected: /more characters/ },
  { kind: 'the payload 5 for a typed handler', body: wrap('5'), attributes: typed, expected: /the payload of message "hostile.order" is a number,/ },
  { kind: 'the payload [] for a typed handler', body: wrap('[]'), attributes: typed, expected: /the payload of message "hostile.order" is an array \(0 item\(s\)\)/ },
  { kind: 'the payload "x" for a typed handler', body: wrap('"x"'), attributes: typed, expected: /the payload of message "hostile.order" is a string,/ },
  { kind: 'the payload null for a typed handler', body: wrap('null'), attributes: typed, expected: /the payload of message "hostile.order" is null,/ },
  { kind: 'an unknown manifest', body: wrap('{"id":"unknown"}'), attributes: { ...typed, manifest: text('hostile.unknown') }, expected: /No handler on queue "hostile-wire" for message "hostile.unknown"/ },
  { kind: 'Python\'s catch-all manifest "json"', body: wrap('{"id":"json"}'), attributes: { ...typed, manifest: text('json') }, expected: /has the manifest "json"/ },
  { kind: 'no attributes at all (a foreign producer)', body: '{"id":"foreign"}', expected: /has no manifest attribute/ },
  {
    kind: 'a melange_message_id of 1,000 characters (ignored for the broker\'s id)',
    body: wrap('{"id":"long-id"}'),
    attributes: { ...typed, melange_message_id: text('i'.repeat(1000)) },
    expected: 'handled',
  },
];

describe('hostile input on the wire', () => {
  const harness = new HostileApp(QUEUE, [OrderConsumer]);
  const sentBodies = new Map<string, string>();
  const deadLettered = new Map<string, string>();
  let valid = 0;

  beforeAll(() => harness.start());
  afterAll(() => harness.stop());

  async function expectAlive(): Promise<void> {
    const order = Object.assign(new Order(), { id: `valid-${++valid}` });
    const { messageId } = await harness.app.get(MelangePublisher).publish(order, { queue: QUEUE });
    expect(await harness.outcomes.final(messageId)).toEqual({ outcome: 'handled' });
  }

  it.each(CASES.map((entry) => [entry.kind, entry] as const))('%s', async (_kind, entry) => {
    const brokerId = await harness.sendRaw(entry.body, entry.attributes);
    const messageId = entry.messageId ?? brokerId;
    sentBodies.set(messageId, entry.body);

    const outcome: FinalOutcome = await harness.outcomes.final(messageId);

    if (entry.expected === 'handled') {
      expect(outcome).toEqual({ outcome: 'handled' });
      const handled = harness.app.get(OrderConsumer).handled.get(messageId);
      expect(handled).toBeDefined();
      entry.received?.(handled!.order, handled!.context);
    } else {
      expect(outcome).toEqual({ outcome: 'dead-lettered', reason: expect.stringMatching(entry.expected) });
      deadLettered.set(entry.body, (outcome as { reason: string }).reason);
    }
    await expectAlive();
  });

  it('lost nothing: each message was handled or is in the dead-letter queue, with its reason, in a copy that fits', async () => {
    const handled = harness.app.get(OrderConsumer).handled;
    const dead = await harness.drainDeadLetters(deadLettered.size);

    expect(handled.size + dead.length).toBe(CASES.length + valid);
    expect(await harness.messagesLeftOnQueue()).toBe(0);
    expect(dead.map((message) => message.Body).sort()).toEqual([...deadLettered.keys()].sort());
    for (const message of dead) {
      const reason = deadLettered.get(message.Body!)!;
      const stored = message.MessageAttributes?.melange_dead_letter_reason?.StringValue ?? '';
      expect(stored.length).toBeGreaterThan(0);
      expect(reason.startsWith(stored)).toBe(true);
      const attributes = Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { DataType: 'String' as const, StringValue: value.StringValue ?? '' }]),
      );
      expect(wireSize(message.Body!, attributes)).toBeLessThanOrEqual(256 * 1024);
    }
  });

  it('escaped and bounded every wire string it logged: no log line has a raw control character', () => {
    expect(harness.unsafeLogLines()).toEqual([]);
    const lines = harness.logger.lines.map(({ message }) => message);
    expect(lines.some((line) => line.includes('x\\n[Nest] 1  - 12/02/2026'))).toBe(true);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(3000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
