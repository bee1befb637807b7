import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  SendMessageCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { AcknowledgeFailedError, describeThrown } from '../../../errors';
import { logSafe } from '../../../log-safe';
import { deadLetterCopy } from '../dead-letter-copy';
import { RequestBatcher, type EntryOutcome } from '../request-batcher';
import { SQS_MAX_BATCH_ENTRIES, SQS_MAX_VISIBILITY_SECONDS, type ResolvedSqsSettings } from '../sqs-backend.options';
import type { QueueInfo, SqsDirectory } from '../sqs-directory';

export interface SettlementDependencies {
  readonly queue: string;
  readonly client: SQSClient;
  readonly directory: SqsDirectory;
  readonly settings: ResolvedSqsSettings;
  readonly logger: LoggerService;
}

interface PendingDelete {
  readonly receiptHandle: string;
  readonly messageId: string;
}

/**
 * What the broker is told about a received message: delete it (batched), show it again later,
 * move it to the dead-letter queue, or hand back messages received but not started.
 */
export class Settlement {
  private readonly deletes: RequestBatcher<PendingDelete, void>;

  constructor(private readonly deps: SettlementDependencies) {
    this.deletes = new RequestBatcher<PendingDelete, void>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes: Number.POSITIVE_INFINITY,
      windowMs: 0,
      serial: false,
      send: (entries) => this.deleteBatch(entries),
    });
  }

  /** Resolves when the broker confirmed the delete. */
  delete(receiptHandle: string, messageId: string): Promise<void> {
    return this.deletes.add({ receiptHandle, messageId }, 0);
  }

  async showAgainAfter(info: QueueInfo, receiptHandle: string, delayMs: number): Promise<void> {
    const seconds = Math.min(Math.max(0, Math.ceil(delayMs / 1000)), SQS_MAX_VISIBILITY_SECONDS);
    await this.deps.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: info.url, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }

  /**
   * Sends the message, body untouched so SQS's own redrive can move it back, to the dead-letter
   * queue of the redrive policy, with the reason and source queue as attributes where the limits
   * leave room (see `deadLetterCopy`); then deletes the original. The dispatcher logs the move;
   * this logs only what had to be left out of the copy.
   */
  async moveToDeadLetterQueue(info: QueueInfo, message: SqsMessage, messageId: string, reason: string): Promise<void> {
    const target = await this.deps.directory.queueByArn(info.deadLetterTargetArn as string);
    const { attributes, notes } = deadLetterCopy(message, reason, info.name, this.deps.settings.limits.queue);
    const groupId = message.Attributes?.MessageGroupId;
    await this.deps.client.send(
      new SendMessageCommand({
        QueueUrl: target.url,
        MessageBody: message.Body ?? '',
        MessageAttributes: attributes,
        MessageGroupId: target.fifo ? (groupId ?? 'melange-dead-letters') : undefined,
        // The broker's id of the original: dead-lettering the same receipt twice stores it once.
        MessageDeduplicationId: target.fifo ? message.MessageId : undefined,
      }),
    );
    if (notes.length > 0) {
      this.deps.logger.warn(`queue=${this.deps.queue} message=${logSafe(messageId)}: its copy in dead-letter queue ${target.name} is not whole: ${notes.join('; ')}`);
    }
    await this.delete(message.ReceiptHandle ?? '', messageId);
  }

  /** Hands back messages received but not started, so they need not wait out their visibility timeout. */
  async release(info: QueueInfo, messages: readonly SqsMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SQS_MAX_BATCH_ENTRIES) {
      const chunk = messages.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      try {
        const response = await this.deps.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: info.url,
            Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle ?? '', VisibilityTimeout: 0 })),
          }),
        );
        for (const failed of response.Failed ?? []) {
          this.deps.logger.warn(
            `queue=${this.deps.queue} message=${logSafe(chunk[Number(failed.Id)]?.MessageId ?? '')}: could not be released, ` +
              `it comes back after its visibility timeout: ${logSafe(`${failed.Code} ${failed.Message ?? ''}`, 1000)}`);
        }
      } catch (error) {
        this.deps.logger.warn(
          `queue=${this.deps.queue}: releasing ${chunk.length} unstarted message(s) failed, they come back after their visibility timeout: ` +
            describeThrown(error, { withName: true }));
      }
    }
  }

  /** Resolves once every delete sent so far has its answer. */
  drain(): Promise<void> {
    return this.deletes.drain();
  }

  private async deleteBatch(entries: readonly PendingDelete[]): Promise<ReadonlyArray<EntryOutcome<void>>> {
    const info = await this.deps.directory.queue(this.deps.queue);
    const response = await this.deps.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: info.url,
        Entries: entries.map((entry, index) => ({ Id: String(index), ReceiptHandle: entry.receiptHandle })),
      }),
    );
    const failures = new Map((response.Failed ?? []).map((failure) => [failure.Id, failure]));
    return entries.map((entry, index) => {
      const failure = failures.get(String(index));
      if (!failure) return { ok: true, value: undefined };
      return { ok: false, error: new AcknowledgeFailedError(this.deps.queue, entry.messageId, failure.Code ?? 'Unknown', failure.Message ?? '') };
    });
  }
}
