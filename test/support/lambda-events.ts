import { createHash, randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type {
  Context,
  SNSEvent,
  SNSEventRecord,
  SNSMessageAttributes,
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttributes,
  SQSRecord,
  SQSRecordAttributes,
} from 'aws-lambda';
import { CREDENTIALS, queueUrl, receivePlain, REGION, sqsEndpoint } from './sqs';

/*
 * Lambda events built from real messages: received from the local server with the plain SDK, then
 * put in the shapes Lambda documents for its SQS and SNS triggers (typed by @types/aws-lambda).
 */

/** The system attributes Lambda copies into a record (SQS's, as ReceiveMessage returns them with `All`). */
const RECORD_ATTRIBUTES = [
  'ApproximateReceiveCount',
  'SentTimestamp',
  'SenderId',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageGroupId',
  'MessageDeduplicationId',
  'AWSTraceHeader',
] as const;

export async function queueArnOf(sqs: SQSClient, queue: string): Promise<string> {
  const url = await queueUrl(sqs, queue);
  const response = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = response.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queue} has no QueueArn attribute`);
  return arn;
}

/** One received message as the record Lambda's event source mapping hands the function. */
export function lambdaSqsRecord(message: Message, queueArn: string): SQSRecord {
  const received = message.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const value = received[name];
    if (value !== undefined) attributes[name] = value;
  }
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] =
      value.BinaryValue !== undefined
        ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64'), stringListValues: [], binaryListValues: [], dataType: value.DataType ?? 'Binary' }
        : { stringValue: value.StringValue, stringListValues: [], binaryListValues: [], dataType: value.DataType ?? 'String' };
  }
  const body = message.Body ?? '';
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body,
    attributes: attributes as unknown as SQSRecordAttributes,
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? createHash('md5').update(body).digest('hex'),
    md5OfMessageAttributes: message.MD5OfMessageAttributes,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: queueArn.split(':')[3] ?? REGION,
  };
}

/** Receives `count` messages from the queue with the plain SDK and returns them as one SQS event, in the order received. */
export async function receiveSqsEvent(sqs: SQSClient, queue: string, count: number, timeoutMs = 10_000): Promise<SQSEvent> {
  const arn = await queueArnOf(sqs, queue);
  const messages = await receivePlain(sqs, queue, count, timeoutMs);
  if (messages.length < count) throw new Error(`expected ${count} messages on ${queue}, received ${messages.length}`);
  return { Records: messages.map((message) => lambdaSqsRecord(message, arn)) };
}

/**
 * `count` messages of a FIFO queue as one event, several per message group. The local server hands
 * out one message per group per receive and keeps the group locked while it is in flight (SQS hands
 * out several, in order), so each round is deleted before the next receive: only the last round's
 * receipt handles are still valid when the event is handled.
 */
export async function receiveFifoSqsEvent(sqs: SQSClient, queue: string, count: number, timeoutMs = 10_000): Promise<SQSEvent> {
  const arn = await queueArnOf(sqs, queue);
  const url = await queueUrl(sqs, queue);
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, count - messages.length),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const round = response.Messages ?? [];
    messages.push(...round);
    if (messages.length < count && round.length > 0) {
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: round.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
    }
  }
  if (messages.length < count) throw new Error(`expected ${count} messages on ${queue}, received ${messages.length}`);
  return { Records: messages.map((message) => lambdaSqsRecord(message, arn)) };
}

/**
 * A notification received on a queue subscribed without raw delivery, as the record SNS's Lambda
 * trigger delivers: the same notification, under `Sns`.
 */
export function lambdaSnsRecord(notification: Message, subscriptionArn = 'arn:aws:sns:us-east-1:000000000000:topic:subscription'): SNSEventRecord {
  const parsed = JSON.parse(notification.Body ?? '') as Record<string, unknown>;
  const text = (key: string): string => (typeof parsed[key] === 'string' ? (parsed[key] as string) : '');
  return {
    EventVersion: '1.0',
    EventSubscriptionArn: subscriptionArn,
    EventSource: 'aws:sns',
    Sns: {
      SignatureVersion: text('SignatureVersion') || '1',
      Timestamp: text('Timestamp'),
      Signature: text('Signature'),
      SigningCertUrl: text('SigningCertURL'),
      MessageId: text('MessageId'),
      Message: text('Message'),
      MessageAttributes: (parsed.MessageAttributes ?? {}) as SNSMessageAttributes,
      Type: 'Notification',
      UnsubscribeUrl: text('UnsubscribeURL'),
      TopicArn: text('TopicArn'),
      Subject: text('Subject') || undefined,
    },
  };
}

export async function receiveSnsEvent(sqs: SQSClient, subscribedQueue: string): Promise<SNSEvent> {
  const [notification] = await receivePlain(sqs, subscribedQueue, 1, 10_000);
  if (!notification) throw new Error(`no notification arrived on ${subscribedQueue}`);
  return { Records: [lambdaSnsRecord(notification)] };
}

/** A context like Lambda's, whose deadline is `remainingMs` from now. */
export function lambdaContext(remainingMs = 30_000, functionName = 'melange-spec'): Context {
  const deadline = Date.now() + remainingMs;
  const fail = (): never => {
    throw new Error('the callback API is not used by async handlers');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/01/01/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/** What the event source mapping does after the function returns: deletes every record not named as failed. */
export async function settleLikeLambda(sqs: SQSClient, queue: string, event: SQSEvent, response: SQSBatchResponse | void): Promise<void> {
  const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  const done = event.Records.filter((record) => !failed.has(record.messageId));
  const url = await queueUrl(sqs, queue);
  for (let start = 0; start < done.length; start += 10) {
    const chunk = done.slice(start, start + 10);
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })) }));
  }
}

/** The ids a partial-batch response names, sorted. */
export function failedIds(response: SQSBatchResponse | void): string[] {
  return (response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier).sort();
}

/** The handler's own SQS client settings for the local server. */
export function localSqsClientOptions(): { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } } {
  return { region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS };
}
