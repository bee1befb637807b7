import type { LoggerService } from '@nestjs/common';
import type { Delivery } from '../backends/messaging-backend';
import type { DispatchTable } from '../consuming/dispatch-table';
import { describeThrown } from '../errors';
import { logSafe } from '../log-safe';
import type { LambdaBatchResponse, LambdaInvocationContext, LambdaSqsRecord } from './lambda-events';
import { parseQueueArn, sdkMessageOfSqsRecord, type QueueArn } from './lambda-records';
import { decodeSqsMessage, type DecodedMessage } from '../backends/sqs/sqs-wire-format';
import { recordDelivery } from './record-delivery';
import type { RecordSettlement, ReleasedRecord } from './record-settlement';

/** What an invocation needs from the application, found once per execution environment. */
export interface SqsInvocationDependencies {
  /** The dispatch table for a queue, or the reason there is none (already a full sentence). */
  readonly tableFor: (queue: QueueArn, records: number) => DispatchTable | string;
  readonly dispatch: (table: DispatchTable, delivery: Delivery) => Promise<void>;
  /** Reads a payload offloaded to S3 through the table's backend; see `readOffloadedPayload`. */
  readonly readPayload: PayloadReader;
  readonly settlement: RecordSettlement;
  readonly logger: LoggerService;
  readonly safetyMarginMs: number;
}

/**
 * The message with its offloaded payload read, or as it is when it has none; undefined when S3
 * did not serve the payload (the record is reported as failed and comes again).
 */
export type PayloadReader = (table: DispatchTable, decoded: DecodedMessage, stop: AbortSignal) => Promise<DecodedMessage | undefined>;

/** What became of a record: handled (acked or dead-lettered), or failed and to be delivered again. */
type Outcome = 'handled' | 'failed';

/**
 * Runs the records of one SQS event through the application's dispatcher: concurrently up to the
 * queue's concurrency, a FIFO queue's message groups one record at a time in order. Answers with
 * the records SQS is to deliver again; never throws for a record, whatever it holds.
 */
export async function runSqsRecords(
  deps: SqsInvocationDependencies,
  records: readonly LambdaSqsRecord[],
  context: LambdaInvocationContext,
): Promise<LambdaBatchResponse> {
  const outcomes = new Map<LambdaSqsRecord, Outcome>();
  const bySource = new Map<string, LambdaSqsRecord[]>();
  for (const record of records) {
    const list = bySource.get(record.eventSourceARN) ?? [];
    list.push(record);
    bySource.set(record.eventSourceARN, list);
  }
  // An event source mapping reads one queue; grouping keeps any other source apart all the same.
  await Promise.all([...bySource].map(([arn, list]) => runQueue(deps, arn, list, context, outcomes)));
  return {
    batchItemFailures: records.filter((record) => outcomes.get(record) !== 'handled').map((record) => ({ itemIdentifier: record.messageId })),
  };
}

async function runQueue(
  deps: SqsInvocationDependencies,
  arn: string,
  records: readonly LambdaSqsRecord[],
  context: LambdaInvocationContext,
  outcomes: Map<LambdaSqsRecord, Outcome>,
): Promise<void> {
  const source = parseQueueArn(arn);
  const table = source ? deps.tableFor(source, records.length) : `${records.length} record(s) have the eventSourceARN "${logSafe(arn)}", which is not an SQS queue ARN; they are reported as failed.`;
  if (typeof table === 'string' || !source) {
    deps.logger.error(String(table));
    for (const record of records) outcomes.set(record, 'failed');
    return;
  }
  const fifo = source.name.endsWith('.fifo');
  const unstarted: LambdaSqsRecord[] = [];
  const skipped: LambdaSqsRecord[] = [];

  const runLine = async (line: readonly LambdaSqsRecord[]): Promise<void> => {
    for (const [index, record] of line.entries()) {
      if (context.getRemainingTimeInMillis() <= deps.safetyMarginMs) {
        unstarted.push(...line.slice(index));
        return;
      }
      const outcome = await runRecord(deps, table, source, record, context);
      outcomes.set(record, outcome);
      if (outcome === 'failed' && fifo && index < line.length - 1) {
        // The group's order holds only if nothing after a failed record is handled before it is.
        const rest = line.slice(index + 1);
        skipped.push(...rest);
        deps.logger.warn(
          `queue=${source.name} group=${logSafe(groupOf(record))}: record ${logSafe(record.messageId)} failed, so the ` +
            `${rest.length} record(s) after it in its message group are reported as failed without running, to keep the group's order`,
        );
        return;
      }
    }
  };
  await runPool(linesOf(records, fifo), table.concurrency, runLine);

  if (unstarted.length > 0) {
    deps.logger.warn(
      `queue=${source.name}: ${unstarted.length} record(s) not started, as ${deps.safetyMarginMs} ms or less of the invocation remained ` +
        `(safetyMarginMs); they are reported as failed and handed back to the queue`,
    );
  }
  const handBack = [...unstarted, ...skipped].map((record): ReleasedRecord => ({ messageId: record.messageId, receiptHandle: record.receiptHandle }));
  if (handBack.length > 0) {
    // Near the deadline the hand-back must not be what times the invocation out.
    const budgetMs = Math.max(100, Math.floor(context.getRemainingTimeInMillis() / 2));
    await deps.settlement.release(source, handBack, AbortSignal.timeout(budgetMs));
  }
}

async function runRecord(
  deps: SqsInvocationDependencies,
  table: DispatchTable,
  source: QueueArn,
  record: LambdaSqsRecord,
  context: LambdaInvocationContext,
): Promise<Outcome> {
  try {
    const message = sdkMessageOfSqsRecord(record);
    // S3 may be slow or down: reading stops where the invocation would have to stop anyway.
    const budget = AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - deps.safetyMarginMs));
    const decoded = await deps.readPayload(table, decodeSqsMessage(message), budget);
    if (decoded === undefined) {
      deps.logger.warn(`queue=${source.name} message=${logSafe(record.messageId)}: its payload could not be read from S3 in time; reported as failed, it comes again`);
      return 'failed';
    }
    const { delivery, decision } = recordDelivery({
      queue: table.queue,
      source,
      message,
      decoded,
      settlement: deps.settlement,
      logger: deps.logger,
    });
    await deps.dispatch(table, delivery);
    const decided = decision();
    return decided === 'ack' || decided === 'dead-letter' ? 'handled' : 'failed';
  } catch (error) {
    // The dispatcher never throws; this is a defect of ours, and the record comes back.
    deps.logger.error(`queue=${source.name} message=${logSafe(record.messageId)} failed in the Lambda runner: ${describeThrown(error, { withName: true })}`);
    return 'failed';
  }
}

/** Each record alone, or, on a FIFO queue, each message group's records in their order. */
function linesOf(records: readonly LambdaSqsRecord[], fifo: boolean): LambdaSqsRecord[][] {
  if (!fifo) return records.map((record) => [record]);
  const groups = new Map<string, LambdaSqsRecord[]>();
  for (const record of records) {
    const group = groupOf(record);
    const line = groups.get(group) ?? [];
    line.push(record);
    groups.set(group, line);
  }
  return [...groups.values()];
}

function groupOf(record: LambdaSqsRecord): string {
  const group: unknown = record.attributes.MessageGroupId;
  return typeof group === 'string' ? group : '';
}

/** Runs `work` on every item, at most `limit` at a time, in order of start. */
async function runPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
