import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import type { Message as SqsMessage, MessageAttributeValue as SqsAttributeValue } from '@aws-sdk/client-sqs';
import type { Envelope } from '../../messages/envelope';
import { MessageRejectedError } from '../../errors';
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
  const attributes: WireAttributes = {};
  if (envelope.manifest !== undefined) {
    attributes[MANIFEST_ATTRIBUTE] = { DataType: 'String', StringValue: envelope.manifest };
  }
  if (envelope.serializerId !== undefined) {
    attributes[SERIALIZER_ID_ATTRIBUTE] = { DataType: 'Number', StringValue: String(envelope.serializerId) };
  }
  attributes[MESSAGE_ID_ATTRIBUTE] = { DataType: 'String', StringValue: envelope.messageId };
  for (const [name, value] of Object.entries(envelope.attributes)) {
    attributes[name] = { DataType: 'String', StringValue: value };
  }
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
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8');
    size += Buffer.byteLength(attribute.DataType, 'utf8');
    size += Buffer.byteLength(attribute.StringValue, 'utf8');
  }
  return size;
}

/** What SQS and SNS accept as an attribute name. */
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/**
 * Refuses, before any request, what the broker would refuse anyway, so the caller gets the reason
 * at the call site instead of a broker error code (or, in a batch, one failed entry among many).
 */
export function assertSendable(
  destination: string,
  envelope: Envelope,
  body: string,
  attributes: WireAttributes,
  maxMessageBytes: number,
): void {
  const reject = (reason: string): never => {
    throw new MessageRejectedError(destination, envelope.messageId, reason);
  };
  for (const [name, value] of Object.entries(envelope.attributes)) {
    if (RESERVED_ATTRIBUTES.has(name)) {
      reject(`attribute "${name}" is reserved by the library; rename it`);
    }
    if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      reject(
        `attribute name "${name}" is invalid: use 1–256 letters, digits, "_", "-" or "." (not at either end, never "..")`,
      );
    }
    if (/^(aws|amazon)\./i.test(name)) {
      reject(`attribute name "${name}" starts with a prefix AWS reserves`);
    }
    if (value.length === 0) {
      reject(`attribute "${name}" is empty; SQS and SNS refuse empty attribute values`);
    }
  }
  const count = Object.keys(attributes).length;
  if (count > SQS_MAX_ATTRIBUTES) {
    const own = count - Object.keys(envelope.attributes).length;
    reject(
      `it has ${count} message attributes (${own} set by the library + ${count - own} user attributes), ` +
        `SQS and SNS allow at most ${SQS_MAX_ATTRIBUTES}; remove ${count - SQS_MAX_ATTRIBUTES} user attribute(s)`,
    );
  }
  const size = wireSize(body, attributes);
  if (size > maxMessageBytes) {
    reject(
      `it is ${size} bytes (body plus attributes), over the limit of ${maxMessageBytes} bytes; ` +
        'store large payloads elsewhere and send a reference',
    );
  }
}

/** Which of the three shapes a received body had. */
export type ReceivedShape = 'sns-envelope' | 'queue-wrapper' | 'raw';

export type DecodeResult =
  | { readonly ok: true; readonly envelope: Envelope; readonly shape: ReceivedShape }
  | { readonly ok: false; readonly reason: string; readonly messageId: string };

interface SnsNotification {
  readonly Type: 'Notification';
  readonly MessageId?: string;
  readonly Message: string;
  readonly MessageAttributes?: Record<string, { readonly Type?: string; readonly Value?: string }>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSnsNotification(value: unknown): SnsNotification | undefined {
  if (isRecord(value) && value.Type === 'Notification' && typeof value.Message === 'string' && 'TopicArn' in value) {
    return value as unknown as SnsNotification;
  }
  return undefined;
}

/** Only an object whose sole key is a string "Message": a foreign JSON payload that merely has such a key stays raw. */
function asQueueWrapper(value: unknown): string | undefined {
  if (isRecord(value) && typeof value.Message === 'string' && Object.keys(value).length === 1) {
    return value.Message;
  }
  return undefined;
}

function parseJson(body: string): unknown {
  const start = body.trimStart()[0];
  if (start !== '{') {
    return undefined;
  }
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function sqsAttributeText(value: SqsAttributeValue): string | undefined {
  if (value.StringValue !== undefined) {
    return value.StringValue;
  }
  if (value.BinaryValue !== undefined) {
    return Buffer.from(value.BinaryValue).toString('base64');
  }
  return undefined;
}

/**
 * Turns a received SQS message into an Envelope, whichever of the three shapes it has:
 * an SNS notification (subscription without raw delivery), the `{"Message"}` queue wrapper,
 * or a raw body from raw delivery or a foreign producer.
 */
export function decodeSqsMessage(message: SqsMessage): DecodeResult {
  const brokerId = message.MessageId ?? '(no message id)';
  const body = message.Body ?? '';
  const texts: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    const text = sqsAttributeText(value);
    if (text !== undefined) {
      texts[name] = text;
    }
  }

  const parsed = parseJson(body);
  const notification = asSnsNotification(parsed);
  let payload: string;
  let shape: ReceivedShape;
  let fallbackId = brokerId;
  if (notification) {
    shape = 'sns-envelope';
    payload = notification.Message;
    fallbackId = notification.MessageId ?? brokerId;
    for (const [name, value] of Object.entries(notification.MessageAttributes ?? {})) {
      if (typeof value?.Value === 'string') {
        texts[name] = value.Value;
      }
    }
  } else {
    const wrapped = asQueueWrapper(parsed);
    shape = wrapped === undefined ? 'raw' : 'queue-wrapper';
    payload = wrapped ?? body;
  }

  const messageId = texts[MESSAGE_ID_ATTRIBUTE] || fallbackId;
  let serializerId: number | undefined;
  const serializerText = texts[SERIALIZER_ID_ATTRIBUTE];
  if (serializerText !== undefined) {
    serializerId = Number(serializerText);
    if (serializerText.trim() === '' || !Number.isInteger(serializerId)) {
      return {
        ok: false,
        messageId,
        reason: `its ${SERIALIZER_ID_ATTRIBUTE} attribute "${serializerText}" is not an integer`,
      };
    }
  }
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(texts)) {
    if (name !== MANIFEST_ATTRIBUTE && name !== SERIALIZER_ID_ATTRIBUTE && name !== MESSAGE_ID_ATTRIBUTE) {
      attributes[name] = value;
    }
  }
  const envelope: Envelope = {
    payload,
    // Python melange publishes an empty manifest to topics when it has none.
    manifest: texts[MANIFEST_ATTRIBUTE] || undefined,
    serializerId,
    messageId,
    attributes,
  };
  return { ok: true, envelope, shape };
}
