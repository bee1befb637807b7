import type { Message as SqsMessage, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { StoredMessage } from '../../backend-admin';
import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE, decodeSqsMessage } from '../sqs-wire-format';

/** What the admin side asks SQS for on every receive: all attributes, user and system. */
export function allAttributes(): { MessageAttributeNames: string[]; MessageSystemAttributeNames: Array<'All'> } {
  return { MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] };
}

function stringAttribute(message: SqsMessage, name: string): string | undefined {
  const attributes = message.MessageAttributes;
  if (!attributes || !Object.prototype.hasOwnProperty.call(attributes, name)) return undefined;
  const value: unknown = attributes[name]?.StringValue;
  return typeof value === 'string' ? value : undefined;
}

function systemAttribute(message: SqsMessage, name: string): string | undefined {
  const attributes = message.Attributes as Record<string, string | undefined> | undefined;
  return attributes && Object.prototype.hasOwnProperty.call(attributes, name) ? attributes[name] : undefined;
}

/** A received SQS message as the admin side reports it; never throws, as decoding never does. */
export function toStoredMessage(message: SqsMessage): StoredMessage {
  const decoded = decodeSqsMessage(message);
  const { [DEAD_LETTER_REASON_ATTRIBUTE]: _reason, [SOURCE_QUEUE_ATTRIBUTE]: _source, ...userAttributes } = decoded.envelope.attributes;
  const sent = Number(systemAttribute(message, 'SentTimestamp'));
  return {
    brokerMessageId: message.MessageId ?? '',
    envelope: { ...decoded.envelope, attributes: userAttributes },
    undecodable: decoded.undecodable,
    deadLetterReason: stringAttribute(message, DEAD_LETTER_REASON_ATTRIBUTE),
    sourceQueue: stringAttribute(message, SOURCE_QUEUE_ATTRIBUTE),
    receiveCount: Number(systemAttribute(message, 'ApproximateReceiveCount') ?? '1'),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined,
    groupId: systemAttribute(message, 'MessageGroupId'),
    sizeBytes: Buffer.byteLength(message.Body ?? '', 'utf8'),
  };
}

/**
 * The message's attributes as they were before it was dead-lettered: the dead-letter ones left
 * out, every other one copied as received, so the consumer reads the message as it first did.
 */
export function attributesForResend(message: SqsMessage): Record<string, MessageAttributeValue> {
  const copy: Record<string, MessageAttributeValue> = {};
  const received = message.MessageAttributes ?? {};
  for (const name of Object.keys(received)) {
    if (name === DEAD_LETTER_REASON_ATTRIBUTE || name === SOURCE_QUEUE_ATTRIBUTE) continue;
    const value: unknown = received[name];
    if (typeof value !== 'object' || value === null) continue;
    const { DataType, StringValue, BinaryValue } = value as MessageAttributeValue;
    if (typeof DataType !== 'string' || (StringValue === undefined && BinaryValue === undefined)) continue;
    // defineProperty: a received name such as "__proto__" stays a name, not a prototype.
    Object.defineProperty(copy, name, { value: { DataType, StringValue, BinaryValue }, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
