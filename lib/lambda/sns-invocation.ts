import type { LoggerService } from '@nestjs/common';
import type { Delivery } from '../backends/messaging-backend';
import { decodeSqsMessage } from '../backends/sqs/sqs-wire-format';
import type { DispatchTable } from '../consuming/dispatch-table';
import { LambdaSnsRecordFailedError, describeThrown } from '../errors';
import { logSafe } from '../log-safe';
import type { LambdaSnsRecord } from './lambda-events';
import type { PayloadReader } from './sqs-invocation';
import { sdkMessageOfSnsRecord, topicNameOf } from './lambda-records';

export interface SnsInvocationDependencies {
  /** The dispatch table for a topic's messages, or the reason there is none (a full sentence). */
  readonly tableFor: (topic: string, records: number) => DispatchTable | string;
  readonly dispatch: (table: DispatchTable, delivery: Delivery) => Promise<void>;
  readonly readPayload: PayloadReader;
  readonly logger: LoggerService;
}

/** How long an SNS record's offloaded payload may take to read; the record's invocation fails after it. */
const SNS_PAYLOAD_READ_MS = 10_000;

/**
 * Runs the records of an SNS event (one, as SNS invokes). SNS invokes asynchronously, so there is
 * nothing to report per record: a record not handled fails the invocation, and Lambda's retries
 * and on-failure destination take over. With no queue behind it, a record has no dead-letter
 * queue of its own either: the function's on-failure destination plays that part.
 */
export async function runSnsRecords(deps: SnsInvocationDependencies, records: readonly LambdaSnsRecord[]): Promise<void> {
  const failed: LambdaSnsRecordFailedError[] = [];
  await Promise.all(
    records.map(async (record) => {
      const topic = topicNameOf(record.Sns.TopicArn);
      if (!(await runRecord(deps, record, topic))) failed.push(new LambdaSnsRecordFailedError(record.Sns.MessageId, topic));
    }),
  );
  if (failed[0]) throw failed[0];
}

async function runRecord(deps: SnsInvocationDependencies, record: LambdaSnsRecord, topic: string): Promise<boolean> {
  const table = deps.tableFor(topic, 1);
  if (typeof table === 'string') {
    deps.logger.error(table);
    return false;
  }
  try {
    const decoded = await deps.readPayload(table, decodeSqsMessage(sdkMessageOfSnsRecord(record)), AbortSignal.timeout(SNS_PAYLOAD_READ_MS));
    // Not handled: the invocation fails, and Lambda's own retry of it applies.
    if (decoded === undefined) return false;
    const { envelope, undecodable } = decoded;
    let handled = false;
    const delivery: Delivery = {
      queue: table.queue,
      envelope,
      undecodable,
      // Lambda does not tell an asynchronous invocation which attempt it is.
      receiveCount: 1,
      ack: async () => {
        handled = true;
      },
      retry: async () => undefined,
      deadLetter: async () => false,
    };
    await deps.dispatch(table, delivery);
    return handled;
  } catch (error) {
    deps.logger.error(`topic=${logSafe(topic)} message=${logSafe(record.Sns.MessageId)} failed in the Lambda runner: ${describeThrown(error, { withName: true })}`);
    return false;
  }
}
