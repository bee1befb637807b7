import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import type { Message as SqsMessage } from '@aws-sdk/client-sqs';
import type { Envelope } from '../../messages/envelope';
import { MAX_MESSAGE_ID_LENGTH } from '../../messages/message-id';
import { MessageRejectedError, describeThrown } from '../../errors';
import { logSafe } from '../../log-safe';
import { MessageTooLargeError } from '../../errors';
import { PAYLOAD_SIZE_ATTRIBUTES, parsePointer, type PayloadPointer } from './large-payload/payload-pointer';
import { SQS_MAX_ATTRIBUTES } from './sqs-backend.options';

/*
 * The wire format shared with Python melange 7.x (see WIRE-FORMAT.md): queue bodies are
 * `{"Message": "<payload>"}`, SNS messages are the payload itself, and both carry `manifest`
 * (String) and `serializer_id` (Number) message attributes.
 */

export const MANIFEST_ATTRIBUTE = 'manifest';
export const SERIALIZER_ID_ATTRIBUTE = 'serializer_id';
/** The publisher's stable message id, so a message keeps one id across fan-out, retries and dead-lettering. */
export const MESSAGE_ID_ATTRIBUTE = 'melange_message_id';
export { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE };

/** Names users cannot set: the library writes them itself. */
export const RESERVED_ATTRIBUTES: ReadonlySet<string> = new Set([
  MANIFEST_ATTRIBUTE,
  SERIALIZER_ID_ATTRIBUTE,
  MESSAGE_ID_ATTRIBUTE,
  DEAD_LETTER_REASON_ATTRIBUTE,
  SOURCE_QUEUE_ATTRIBUTE,
  // The extended clients' size attributes: a message carrying one is read as an S3 pointer.
  ...PAYLOAD_SIZE_ATTRIBUTES,
]);

/** Structurally both an SQS and an SNS `MessageAttributeValue`. */
export interface WireAttribute {
  readonly DataType: 'String' | 'Number';
  readonly StringValue: string;
}

export type WireAttributes = Record<string, WireAttribute>;

export interface EncodedQueueMessage {
  readonly body: string;
  readonly attributes: WireAttributes;
}

export interface EncodedTopicMessage {
  readonly message: string;
  readonly attributes: WireAttributes;
}

/** Python's json.dumps puts a space after the colon; matching it keeps bodies byte-identical for ASCII payloads. */
export function wrapQueueBody(payload: string): string {
  return `{"Message": ${JSON.stringify(payload)}}`;
}

export function encodeAttributes(envelope: Envelope): WireAttributes {
  const { manifest, serializerId, messageId } = envelope;
  // Every publish builds this: a literal (one shape, made at once) where the library's attributes are all there.
  const attributes: WireAttributes =
    manifest !== undefined && serializerId !== undefined
      ? {
          manifest: { DataType: 'String', StringValue: manifest },
          serializer_id: { DataType: 'Number', StringValue: String(serializerId) },
          melange_message_id: { DataType: 'String', StringValue: messageId },
        }
      : partialLibraryAttributes(manifest, serializerId, messageId);
  const own = envelope.attributes;
  for (const name in own) {
    if (Object.prototype.hasOwnProperty.call(own, name)) attributes[name] = { DataType: 'String', StringValue: own[name] as string };
  }
  return attributes;
}

function partialLibraryAttributes(manifest: string | undefined, serializerId: number | undefined, messageId: string): WireAttributes {
  const attributes: WireAttributes = {};
  if (manifest !== undefined) attributes[MANIFEST_ATTRIBUTE] = { DataType: 'String', StringValue: manifest };
  if (serializerId !== undefined) attributes[SERIALIZER_ID_ATTRIBUTE] = { DataType: 'Number', StringValue: String(serializerId) };
  attributes[MESSAGE_ID_ATTRIBUTE] = { DataType: 'String', StringValue: messageId };
  return attributes;
}

export function encodeForQueue(envelope: Envelope): EncodedQueueMessage {
  return { body: wrapQueueBody(envelope.payload), attributes: encodeAttributes(envelope) };
}

export function encodeForTopic(envelope: Envelope): EncodedTopicMessage {
  return { message: envelope.payload, attributes: encodeAttributes(envelope) };
}

/** Size as SQS and SNS count it: body plus each attribute's name, type and value, in UTF-8 bytes. */
export function wireSize(body: string, attributes: WireAttributes): number {
  let size = Buffer.byteLength(body, 'utf8');
  // for-in over own keys, not Object.keys() or entries(): this runs for every message sent, and those allocate.
  for (const name in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, name)) continue;
    const attribute = attributes[name] as WireAttribute;
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(attribute.DataType, 'utf8');
    size += Buffer.byteLength(attribute.StringValue, 'utf8');
  }
  return size;
}

/** The size a destination accepts, and whether offloading to S3 was already tried, for the error. */
export interface SizeLimit {
  readonly bytes: number;
  readonly kind: 'queue' | 'topic';
  readonly offloaded: boolean;
}

/** What SQS and SNS accept as an attribute name. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/**
 * Refuses, before any request, what the broker would refuse anyway, so the caller gets the reason
 * at the call site instead of a broker error code (or, in a batch, one failed entry among many).
 * Returns the message's size as the broker counts it.
 */
export function assertSendable(
  destination: string,
  envelope: Envelope,
  body: string,
  attributes: WireAttributes,
  limit: SizeLimit,
): number {
  const own = envelope.attributes;
  // for-in over own keys rather than Object.keys(): this runs for every message sent, and almost
  // always finds no user attribute; Object.keys() would allocate an array for nothing.
  let ownCount = 0;
  for (const name in own) {
    if (!Object.prototype.hasOwnProperty.call(own, name)) continue;
    ownCount++;
    const value = own[name] as string;
    if (RESERVED_ATTRIBUTES.has(name)) {
      refuse(destination, envelope, `attribute "${name}" is reserved by the library; rename it`);
    }
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      refuse(
        destination,
        envelope,
        `attribute name "${name}" is invalid: use 1–256 letters, digits, "_", "-" or "." (not at either end, never "..")`,
      );
    }
    if (/^(aws|amazon)\./i.test(name)) {
      refuse(destination, envelope, `attribute name "${name}" starts with a prefix AWS reserves`);
    }
    if (value.length === 0) {
      refuse(destination, envelope, `attribute "${name}" is empty; SQS and SNS refuse empty attribute values`);
    }
  }
  let count = 0;
  for (const name in attributes) if (Object.prototype.hasOwnProperty.call(attributes, name)) count++;
  if (count > SQS_MAX_ATTRIBUTES) {
    const library = count - ownCount;
    refuse(
      destination,
      envelope,
      `it has ${count} message attributes (${library} set by the library + ${count - library} user attributes), ` +
        `SQS and SNS allow at most ${SQS_MAX_ATTRIBUTES}; remove ${count - SQS_MAX_ATTRIBUTES} user attribute(s)`,
    );
  }
  const size = wireSize(body, attributes);
  if (size > limit.bytes) {
    throw new MessageTooLargeError(destination, envelope.messageId, size, limit.bytes, limit.kind, limit.offloaded);
  }
  return size;
}

/** A function, not a closure made per call: assertSendable runs for every message sent. */
function refuse(destination: string, envelope: Envelope, reason: string): never {
  throw new MessageRejectedError(destination, envelope.messageId, reason);
}

/** Which of the three shapes a received body had. */
export type ReceivedShape = 'sns-envelope' | 'queue-wrapper' | 'raw';

/**
 * A received message as an Envelope. When it cannot be read as one (`undecodable` says why), the
 * envelope still carries the body and an id, so the message can be dead-lettered with its reason.
 */
export interface DecodedMessage {
  readonly envelope: Envelope;
  readonly shape: ReceivedShape;
  readonly undecodable?: string;
  /**
   * Set when the payload is in S3 (an extended-client pointer): the envelope's payload is then the
   * pointer and `undecodable` says so, until the object's text replaces it (IncomingPayloads).
   */
  readonly pointer?: PayloadPointer;
}

interface SnsNotification {
  readonly Message: string;
  readonly MessageId?: unknown;
  readonly MessageAttributes?: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: a key named `__proto__` or `toString` is data here, never inherited behaviour. */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function asSnsNotification(value: unknown): SnsNotification | undefined {
  if (isRecord(value) && own(value, 'Type') === 'Notification' && typeof own(value, 'Message') === 'string' && own(value, 'TopicArn') !== undefined) {
    return { Message: own(value, 'Message') as string, MessageId: own(value, 'MessageId'), MessageAttributes: own(value, 'MessageAttributes') };
  }
  return undefined;
}

/** Only an object whose sole key is a string "Message": a foreign JSON payload that merely has such a key stays raw. */
export function asQueueWrapper(value: unknown): string | undefined {
  if (isRecord(value) && Object.keys(value).length === 1 && typeof own(value, 'Message') === 'string') {
    return own(value, 'Message') as string;
  }
  return undefined;
}

export function parseJson(body: string): unknown {
  // The first non-blank character, found without copying the body as trimStart() would.
  const first = body.search(NOT_BLANK);
  if (first === -1 || body.charCodeAt(first) !== OPEN_BRACE) {
    return undefined;
  }
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** What String.prototype.trimStart() removes is exactly what \s matches. */
const NOT_BLANK = /\S/;
const OPEN_BRACE = 0x7b;

/** An attribute as received: its declared type's base ("String", "Number", "Binary") and its text. */
interface ReceivedAttribute {
  readonly type: string;
  readonly text: string;
}

function sqsAttribute(value: unknown): ReceivedAttribute | undefined {
  if (!isRecord(value)) return undefined;
  const dataType = own(value, 'DataType');
  const type = typeof dataType === 'string' ? baseType(dataType) : '';
  const stringValue = own(value, 'StringValue');
  if (typeof stringValue === 'string') return { type, text: stringValue };
  const binaryValue = own(value, 'BinaryValue');
  if (binaryValue instanceof Uint8Array) return { type, text: Buffer.from(binaryValue).toString('base64') };
  return undefined;
}

function snsAttribute(value: unknown): ReceivedAttribute | undefined {
  if (!isRecord(value)) return undefined;
  const text = own(value, 'Value');
  const type = own(value, 'Type');
  return typeof text === 'string' ? { type: typeof type === 'string' ? baseType(type) : '', text } : undefined;
}

/** "Number.int" → "Number": what split('.')[0] gives, without the array. */
function baseType(dataType: string): string {
  const dot = dataType.indexOf('.');
  return dot === -1 ? dataType : dataType.slice(0, dot);
}

function collect(into: Map<string, ReceivedAttribute>, attributes: unknown, read: (value: unknown) => ReceivedAttribute | undefined): void {
  if (!isRecord(attributes)) return;
  for (const name of Object.keys(attributes)) {
    const attribute = read(attributes[name]);
    if (attribute !== undefined) into.set(name, attribute);
  }
}

/** A longer or empty id from the wire is ignored for the broker's own. */
function usableMessageId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_MESSAGE_ID_LENGTH;
}

/**
 * Turns a received SQS message into an Envelope, whichever of the three shapes it has:
 * an SNS notification (subscription without raw delivery), the `{"Message"}` queue wrapper,
 * or a raw body from raw delivery or a foreign producer. Never throws: anything on the wire that
 * is not what the format defines makes the message undecodable, with the reason.
 */
export function decodeSqsMessage(message: SqsMessage): DecodedMessage {
  const brokerId = usableMessageId(message.MessageId) ? message.MessageId : '(no message id)';
  const body = typeof message.Body === 'string' ? message.Body : '';
  try {
    return decode(message, body, brokerId);
  } catch (error) {
    const envelope: Envelope = { payload: body, messageId: brokerId, attributes: {} };
    return { envelope, shape: 'raw', undecodable: `it cannot be read: ${describeThrown(error)}` };
  }
}

function decode(message: SqsMessage, body: string, brokerId: string): DecodedMessage {
  const received = new Map<string, ReceivedAttribute>();
  collect(received, message.MessageAttributes, sqsAttribute);

  const parsed = parseJson(body);
  const notification = asSnsNotification(parsed);
  let payload: string;
  let shape: ReceivedShape;
  let fallbackId = brokerId;
  if (notification) {
    shape = 'sns-envelope';
    payload = notification.Message;
    if (usableMessageId(notification.MessageId)) fallbackId = notification.MessageId;
    collect(received, notification.MessageAttributes, snsAttribute);
  } else {
    const wrapped = asQueueWrapper(parsed);
    shape = wrapped === undefined ? 'raw' : 'queue-wrapper';
    payload = wrapped ?? body;
  }

  const ownId = received.get(MESSAGE_ID_ATTRIBUTE)?.text;
  const messageId = usableMessageId(ownId) ? ownId : fallbackId;
  const attributes = userAttributes(received);
  const undecodable = (reason: string): DecodedMessage => ({ envelope: { payload, messageId, attributes }, shape, undecodable: reason });

  const manifest = received.get(MANIFEST_ATTRIBUTE);
  if (manifest !== undefined && manifest.type !== 'String') {
    return undecodable(`its ${MANIFEST_ATTRIBUTE} attribute is of type ${logSafe(manifest.type || 'unknown')}; the wire format has it as String`);
  }
  let serializerId: number | undefined;
  const serializer = received.get(SERIALIZER_ID_ATTRIBUTE);
  if (serializer !== undefined) {
    serializerId = Number(serializer.text);
    if (serializer.type === 'Binary' || serializer.text.trim() === '' || !Number.isSafeInteger(serializerId)) {
      return undecodable(`its ${SERIALIZER_ID_ATTRIBUTE} attribute "${logSafe(serializer.text)}" is not an integer`);
    }
  }
  const envelope: Envelope = {
    payload,
    // Python melange publishes an empty manifest to topics when it has none.
    manifest: manifest?.text || undefined,
    serializerId,
    messageId,
    attributes,
  };
  const sizeAttribute = PAYLOAD_SIZE_ATTRIBUTES.find((name) => received.has(name));
  if (sizeAttribute === undefined) return { envelope, shape };
  const pointer = parsePointer(payload);
  if ('invalid' in pointer) {
    return undecodable(`it carries the ${sizeAttribute} attribute of an S3 payload pointer, but its body is not one: ${pointer.invalid}`);
  }
  // Undecodable until someone reads the object: a caller that does not know about pointers
  // dead-letters the message with this reason instead of handing the pointer to a handler.
  const where = `s3://${pointer.pointer.bucket}/${pointer.pointer.key}`;
  return { envelope, shape, pointer: pointer.pointer, undecodable: `its payload is in S3 (${where}) and was not read from there` };
}

/** The user's attributes as plain text, in the order received (one object, no intermediate arrays). */
function userAttributes(received: ReadonlyMap<string, ReceivedAttribute>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of received) {
    // defineProperty, as Object.fromEntries does: a name like `__proto__` stays data.
    if (!OWN_ATTRIBUTES.has(name)) Object.defineProperty(attributes, name, { value: attribute.text, enumerable: true, writable: true, configurable: true });
  }
  return attributes;
}

/** The attributes the wire format defines; the rest are the user's. */
const OWN_ATTRIBUTES: ReadonlySet<string> = new Set([MANIFEST_ATTRIBUTE, SERIALIZER_ID_ATTRIBUTE, MESSAGE_ID_ATTRIBUTE, ...PAYLOAD_SIZE_ATTRIBUTES]);
