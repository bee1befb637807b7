import { UnsupportedLambdaEventError } from '../errors';
import { logSafe } from '../log-safe';
import { SNS_EVENT_SOURCE, SQS_EVENT_SOURCE, type LambdaSnsRecord, type LambdaSqsRecord } from './lambda-events';

export type ClassifiedEvent =
  | { readonly source: 'sqs'; readonly records: readonly LambdaSqsRecord[] }
  | { readonly source: 'sns'; readonly records: readonly LambdaSnsRecord[] }
  | { readonly source: 'none' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSqsRecord(value: unknown): value is LambdaSqsRecord {
  return (
    isRecord(value) &&
    value.eventSource === SQS_EVENT_SOURCE &&
    typeof value.messageId === 'string' &&
    value.messageId !== '' &&
    typeof value.receiptHandle === 'string' &&
    typeof value.body === 'string' &&
    typeof value.eventSourceARN === 'string' &&
    isRecord(value.attributes) &&
    isRecord(value.messageAttributes)
  );
}

function isSnsRecord(value: unknown): value is LambdaSnsRecord {
  if (!isRecord(value) || value.EventSource !== SNS_EVENT_SOURCE || !isRecord(value.Sns)) return false;
  const { MessageId, TopicArn, Message } = value.Sns;
  return typeof MessageId === 'string' && typeof TopicArn === 'string' && typeof Message === 'string';
}

/**
 * Which kind of event this is. Lambda builds these records itself, so one that does not have the
 * documented shape means the function is wired to another trigger (or invoked by hand with a
 * made-up event): the whole invocation fails with what was found, rather than guessing.
 */
export function classifyEvent(event: unknown): ClassifiedEvent {
  const records = isRecord(event) ? event.Records : undefined;
  if (!Array.isArray(records)) {
    const keys = isRecord(event) ? `an event with the keys ${Object.keys(event).slice(0, 10).map((key) => `"${logSafe(key, 50)}"`).join(', ') || '(none)'}` : `a ${event === null ? 'null' : typeof event} event`;
    throw new UnsupportedLambdaEventError(`${keys} and no Records array`);
  }
  if (records.length === 0) return { source: 'none' };
  if (records.every(isSqsRecord)) return { source: 'sqs', records };
  if (records.every(isSnsRecord)) return { source: 'sns', records };
  const index = records.findIndex((record) => !isSqsRecord(record) && !isSnsRecord(record));
  const sources = [...new Set(records.map((record) => (isRecord(record) ? String(record.eventSource ?? record.EventSource) : typeof record)))];
  throw new UnsupportedLambdaEventError(
    index >= 0
      ? `record ${index} (event source ${logSafe(sources.join(', '), 200)}) that is not an SQS or SNS record of the documented shape`
      : `records of both SQS and SNS in one event`,
  );
}
