import type { Message as SqsMessage, MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { LambdaSnsRecord, LambdaSqsRecord } from './lambda-events';

/*
 * Lambda hands over the messages it received in shapes of its own. These adapters turn them into
 * what the SQS poller receives from the SDK, so that one decoder (decodeSqsMessage) and one
 * dead-letter copy format serve both.
 */

/** A queue named by an SQS ARN, `arn:<partition>:sqs:<region>:<account>:<name>`. */
export interface QueueArn {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
}

export function parseQueueArn(arn: unknown): QueueArn | undefined {
  if (typeof arn !== 'string') return undefined;
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sqs' || !parts[5]) return undefined;
  return { arn, name: parts[5], account: parts[4] ?? '', region: parts[3] ?? '' };
}

/** The topic's name, the last part of its ARN. */
export function topicNameOf(topicArn: string): string {
  return topicArn.split(':').pop() || topicArn;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property only: names on the wire such as `__proto__` stay data. */
function own(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function define<T>(target: Record<string, T>, name: string, value: T): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Lambda's camelCase attribute, binary values in base64, as the SDK returns it on receive. */
function sdkAttribute(value: unknown): MessageAttributeValue | undefined {
  if (!isRecord(value)) return undefined;
  const dataType = text(own(value, 'dataType'));
  const stringValue = text(own(value, 'stringValue'));
  const binaryValue = text(own(value, 'binaryValue'));
  if (dataType === undefined || (stringValue === undefined && binaryValue === undefined)) return undefined;
  return stringValue !== undefined
    ? { DataType: dataType, StringValue: stringValue }
    : { DataType: dataType, BinaryValue: Buffer.from(binaryValue as string, 'base64') };
}

/** An SQS record as the SDK's `Message`; never throws, whatever the record holds. */
export function sdkMessageOfSqsRecord(record: LambdaSqsRecord): SqsMessage {
  const source: unknown = record;
  const fields = isRecord(source) ? source : {};
  const attributes: Record<string, MessageAttributeValue> = {};
  const received = own(fields, 'messageAttributes');
  if (isRecord(received)) {
    for (const name of Object.keys(received)) {
      const value = sdkAttribute(received[name]);
      if (value) define(attributes, name, value);
    }
  }
  const system: Record<string, string> = {};
  const receivedSystem = own(fields, 'attributes');
  if (isRecord(receivedSystem)) {
    for (const name of Object.keys(receivedSystem)) {
      const value = text(receivedSystem[name]);
      if (value !== undefined) define(system, name, value);
    }
  }
  return {
    MessageId: text(own(fields, 'messageId')),
    ReceiptHandle: text(own(fields, 'receiptHandle')),
    Body: text(own(fields, 'body')),
    Attributes: system,
    MessageAttributes: attributes,
  };
}

/**
 * An SNS record as the body a queue subscribed without raw delivery would receive: the same
 * notification fields, so the decoder reads manifest, serializer id and message id from them
 * exactly as it does on a queue.
 */
export function sdkMessageOfSnsRecord(record: LambdaSnsRecord): SqsMessage {
  const source: unknown = record;
  const sns = isRecord(source) ? own(source, 'Sns') : undefined;
  const fields = isRecord(sns) ? sns : {};
  const notification = {
    Type: 'Notification',
    MessageId: own(fields, 'MessageId'),
    TopicArn: own(fields, 'TopicArn'),
    Message: own(fields, 'Message'),
    MessageAttributes: own(fields, 'MessageAttributes'),
  };
  return { MessageId: text(notification.MessageId), Body: JSON.stringify(notification), Attributes: {}, MessageAttributes: {} };
}

/** SQS's `ApproximateReceiveCount`; 1 when absent or not a count. */
export function receiveCountOf(message: SqsMessage): number {
  const count = Number(message.Attributes?.ApproximateReceiveCount);
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}
