import type { Message as SqsMessage, MessageAttributeValue } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import { SQS_MAX_ATTRIBUTES } from './sqs-backend.options';

/** SQS attribute values are limited in size; a reason is for humans, its start is enough. */
const MAX_REASON_LENGTH = 1024;
/** Below this many bytes of room, a cut reason says too little to be worth an attribute. */
const MIN_REASON_BYTES = 32;

export interface DeadLetterCopy {
  readonly attributes: Record<string, MessageAttributeValue>;
  /** What had to be cut or left out for the copy to fit, for the log line; empty when nothing. */
  readonly notes: readonly string[];
}

/**
 * The attributes of a message's dead-letter copy: its own ones, then the source queue and the
 * reason where the attribute count and `maxBytes` leave room. The body is never touched (SQS's
 * own redrive moves it back as it is), so what does not fit is the reason, cut, or dropped.
 */
export function deadLetterCopy(message: SqsMessage, reason: string, sourceQueue: string, maxBytes: number): DeadLetterCopy {
  const attributes: Record<string, MessageAttributeValue> = {};
  const notes: string[] = [];
  let size = Buffer.byteLength(message.Body ?? '', 'utf8');
  const received = message.MessageAttributes ?? {};
  for (const name of Object.keys(received)) {
    if (name === DEAD_LETTER_REASON_ATTRIBUTE || name === SOURCE_QUEUE_ATTRIBUTE) continue;
    const value: unknown = received[name];
    const copied = copyable(value);
    if (!copied) {
      notes.push(`attribute ${JSON.stringify(name)} was left out: the broker returned it without a value`);
      continue;
    }
    // defineProperty: a received name such as "__proto__" stays a name, not a prototype.
    Object.defineProperty(attributes, name, { value: copied, enumerable: true, writable: true, configurable: true });
    size += attributeSize(name, copied);
  }
  let room = Math.min(maxBytes - size, Number.MAX_SAFE_INTEGER);
  let slots = SQS_MAX_ATTRIBUTES - Object.keys(attributes).length;

  const source: MessageAttributeValue = { DataType: 'String', StringValue: sourceQueue };
  const sourceSize = attributeSize(SOURCE_QUEUE_ATTRIBUTE, source);
  if (slots >= 1 && sourceSize <= room) {
    attributes[SOURCE_QUEUE_ATTRIBUTE] = source;
    room -= sourceSize;
    slots -= 1;
  } else {
    notes.push(`the ${SOURCE_QUEUE_ATTRIBUTE} attribute was left out (${slots < 1 ? 'no attribute left of 10' : 'no room under the size limit'})`);
  }

  const reasonRoom = room - attributeSize(DEAD_LETTER_REASON_ATTRIBUTE, { DataType: 'String', StringValue: '' });
  const fullReason = reason.slice(0, MAX_REASON_LENGTH) || 'unknown';
  if (slots < 1 || reasonRoom < Math.min(MIN_REASON_BYTES, Buffer.byteLength(fullReason, 'utf8'))) {
    notes.push(`the ${DEAD_LETTER_REASON_ATTRIBUTE} attribute was left out (${slots < 1 ? 'no attribute left of 10' : 'no room under the size limit'})`);
  } else {
    const cut = cutToBytes(fullReason, reasonRoom);
    if (cut !== fullReason) notes.push(`the ${DEAD_LETTER_REASON_ATTRIBUTE} attribute was cut to ${Buffer.byteLength(cut, 'utf8')} bytes to fit the size limit`);
    attributes[DEAD_LETTER_REASON_ATTRIBUTE] = { DataType: 'String', StringValue: cut };
  }
  return { attributes, notes };
}

function copyable(value: unknown): MessageAttributeValue | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { DataType, StringValue, BinaryValue } = value as MessageAttributeValue;
  if (typeof DataType !== 'string' || (StringValue === undefined && BinaryValue === undefined)) return undefined;
  return { DataType, StringValue, BinaryValue };
}

/** As SQS counts it: name, type and value, in bytes. */
function attributeSize(name: string, value: MessageAttributeValue): number {
  const data = value.StringValue !== undefined ? Buffer.byteLength(value.StringValue, 'utf8') : (value.BinaryValue?.byteLength ?? 0);
  return Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8') + data;
}

/** The longest start of `text` within `maxBytes` UTF-8 bytes, never splitting a character. */
function cutToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const width = Buffer.byteLength(char, 'utf8');
    if (bytes + width > maxBytes) break;
    bytes += width;
    end += char.length;
  }
  return text.slice(0, end);
}
