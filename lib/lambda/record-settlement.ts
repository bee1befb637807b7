import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  SendMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { deadLetterCopy } from '../backends/sqs/dead-letter-copy';
import { MissingPermissionError, describeThrown } from '../errors';
import { logSafe } from '../log-safe';
import type { QueueArn } from './lambda-records';
import type { QueueDirectory } from './queue-directory';

/** What SQS accepts in one message by default; a dead-letter copy is cut to fit it. */
const MAX_COPY_BYTES = 256 * 1024;
/** SQS refuses a visibility timeout above 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;
const MAX_BATCH_ENTRIES = 10;

/** A record handed back unstarted. */
export interface ReleasedRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
}

/**
 * What the function tells SQS beyond its partial-batch response: when a failed record is to come
 * back (its retry backoff), a copy of a record that can never be handled in the dead-letter queue,
 * and unstarted records handed back at once. Each request needs a permission the function's role
 * may lack; without it the record is simply reported as failed, and the missing permission is
 * logged once per queue rather than once per record.
 */
export class RecordSettlement {
  private readonly warned = new Set<string>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queues: QueueDirectory,
    private readonly logger: LoggerService,
  ) {}

  /** Sets the record's visibility to the backoff; when that is denied, it comes back after the queue's visibility timeout. */
  async showAgainAfter(source: QueueArn, receiptHandle: string, delayMs: number): Promise<void> {
    const seconds = Math.min(Math.max(0, Math.ceil(delayMs / 1000)), MAX_VISIBILITY_SECONDS);
    const fallback = "failed records come back after the queue's visibility timeout instead of their retry backoff";
    const url = await this.permitted('sqs:GetQueueUrl', queueOf(source), fallback, async () => (await this.queues.queue(source)).url);
    if (url === undefined) return;
    await this.permitted('sqs:ChangeMessageVisibility', queueOf(source), fallback, () =>
      this.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds })),
    );
  }

  /**
   * Copies the record to its queue's dead-letter queue, body untouched and the reason attached, in
   * the poller's format. False when the queue has no dead-letter queue; throws when the copy could
   * not be made, so the record is reported as failed and SQS's redrive takes it in the end.
   */
  async moveToDeadLetterQueue(source: QueueArn, message: SqsMessage, messageId: string, reason: string): Promise<boolean> {
    const fallback = "records that cannot be handled are reported as failed, so SQS's redrive moves them after maxReceiveCount receives, without a reason";
    const attributes = await this.required('sqs:GetQueueUrl and sqs:GetQueueAttributes', queueOf(source), fallback, () => this.queues.attributesOf(source));
    if (attributes.deadLetterTargetArn === undefined) return false;
    const target = await this.required('sqs:GetQueueUrl', `the dead-letter queue of ${queueOf(source)}`, fallback, () => this.queues.deadLetterQueue(attributes.deadLetterTargetArn as string));
    if (target === undefined) return false;
    const copy = deadLetterCopy(message, reason, source.name, MAX_COPY_BYTES);
    const groupId = message.Attributes?.MessageGroupId;
    await this.required('sqs:SendMessage', `dead-letter queue "${target.name}" (of ${queueOf(source)})`, fallback, () =>
      this.sqs.send(
        new SendMessageCommand({
          QueueUrl: target.url,
          MessageBody: message.Body ?? '',
          MessageAttributes: copy.attributes,
          MessageGroupId: target.fifo ? (groupId ?? 'melange-dead-letters') : undefined,
          // The broker's id of the original: a record dead-lettered again after a failed invocation is stored once.
          MessageDeduplicationId: target.fifo ? message.MessageId : undefined,
        }),
      ),
    );
    if (copy.notes.length > 0) {
      this.logger.warn(`queue=${source.name} message=${logSafe(messageId)}: its copy in dead-letter queue ${target.name} is not whole: ${copy.notes.join('; ')}`);
    }
    return true;
  }

  /** Makes unstarted records visible again at once, so they need not wait out the queue's visibility timeout. */
  async release(source: QueueArn, records: readonly ReleasedRecord[], signal: AbortSignal): Promise<void> {
    if (records.length === 0) return;
    const fallback = "records not started before the deadline come back after the queue's visibility timeout";
    try {
      const url = await this.permitted('sqs:GetQueueUrl', queueOf(source), fallback, async () => (await this.queues.queue(source)).url);
      for (let start = 0; url !== undefined && start < records.length; start += MAX_BATCH_ENTRIES) {
        const chunk = records.slice(start, start + MAX_BATCH_ENTRIES);
        const command = new ChangeMessageVisibilityBatchCommand({
          QueueUrl: url,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle, VisibilityTimeout: 0 })),
        });
        const response = await this.permitted('sqs:ChangeMessageVisibility', queueOf(source), fallback, () => this.sqs.send(command, { abortSignal: signal }));
        if (response === undefined) return;
        for (const failed of response.Failed ?? []) {
          this.logger.warn(
            `queue=${source.name} message=${logSafe(chunk[Number(failed.Id)]?.messageId ?? '')}: could not be handed back, it comes back ` +
              `after its visibility timeout: ${logSafe(`${failed.Code} ${failed.Message ?? ''}`, 1000)}`,
          );
        }
      }
    } catch (error) {
      this.logger.warn(
        `queue=${source.name}: handing back ${records.length} unstarted record(s) failed, they come back after their visibility timeout: ` +
          describeThrown(error, { withName: true }),
      );
    }
  }

  /** Runs `request`; a denial is logged once per action and queue, and resolves to undefined. */
  private async permitted<T>(action: string, resource: string, fallback: string, request: () => Promise<T>): Promise<T | undefined> {
    try {
      return await request();
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
      this.warnOnce(new MissingPermissionError(action, resource, fallback, error));
      return undefined;
    }
  }

  /** Runs `request`; a denial is logged once per action and queue, and thrown on. */
  private async required<T>(action: string, resource: string, fallback: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!isAccessDenied(error)) throw error;
      const denied = new MissingPermissionError(action, resource, fallback, error);
      this.warnOnce(denied);
      throw denied;
    }
  }

  private warnOnce(denied: MissingPermissionError): void {
    const key = denied.message.split(' was denied')[0] ?? denied.message;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.logger.warn(`${denied.message} (logged once per execution environment)`);
  }
}

function queueOf(source: QueueArn): string {
  return `queue "${source.name}"`;
}

/** IAM's refusals, under the names SQS's query and JSON protocols and STS give them. */
export function isAccessDenied(error: unknown): boolean {
  return error instanceof Error && /AccessDenied|NotAuthorized|UnauthorizedOperation|AuthorizationError/.test(error.name);
}
