import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type Message as SqsMessage,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as delay } from 'node:timers/promises';
import type { MoveOptions, MoveProgress, StoredMessage } from '../../backend-admin';
import { SQS_MAX_BATCH_ENTRIES } from '../sqs-backend.options';
import type { QueueInfo, SqsDirectory } from '../sqs-directory';
import { allAttributes, attributesForResend, toStoredMessage } from './stored-message';

/** Long enough that an empty answer means the queue has nothing visible, not that a server was missed. */
const EMPTY_CHECK_WAIT_SECONDS = 1;

interface Received {
  readonly raw: SqsMessage;
  readonly stored: StoredMessage;
}

/**
 * Moves messages between queues in the client: receive a batch, send the chosen ones to their
 * destination, and delete from the source only what the destination accepted. A crash between the
 * send and the delete leaves the batch on the source, where it reappears after the visibility
 * timeout: it is sent again (a duplicate of at most one batch), never lost.
 */
export class SqsMessageMove {
  private readonly progress = { moved: 0, skipped: 0, failed: 0 };
  /** Messages left on the source, hidden until the move ends so the next receives find others. */
  private readonly held = new Map<string, string>();
  /**
   * Envelope ids this move has sent: a message that comes back to the source during the move (its
   * handler dead-letters it again at once) stays there, so one move cannot ping-pong it forever.
   */
  private readonly sentIds = new Set<string>();
  private readonly startedAt = Date.now();

  constructor(
    private readonly sqs: SQSClient,
    private readonly directory: SqsDirectory,
    private readonly source: QueueInfo,
    private readonly options: MoveOptions,
  ) {}

  async run(): Promise<MoveProgress> {
    try {
      while (!this.options.signal?.aborted && this.wanted() > 0) {
        const batch = await this.receive().catch((error: unknown) => {
          // Stopping (Ctrl-C) aborts the receive in progress; what was moved so far stays moved.
          if (this.options.signal?.aborted) return [];
          throw error;
        });
        if (batch.length === 0) break;
        const fresh = batch.filter(({ raw }) => !this.held.has(raw.MessageId ?? ''));
        // Everything received was already set aside: the held ones came back, so the pass is over.
        if (fresh.length === 0) break;
        await this.handle(fresh);
        this.options.onProgress?.({ ...this.progress });
      }
    } finally {
      await this.releaseHeld();
    }
    return { ...this.progress };
  }

  private wanted(): number {
    return this.options.limit === undefined ? Number.POSITIVE_INFINITY : this.options.limit - this.progress.moved;
  }

  private async receive(): Promise<Received[]> {
    // A slow rate receives small batches, so messages are not hidden long before they are sent.
    const rate = this.options.maxPerSecond ?? SQS_MAX_BATCH_ENTRIES;
    const size = Math.max(1, Math.min(SQS_MAX_BATCH_ENTRIES, Math.floor(rate), this.wanted()));
    const response = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.source.url,
        MaxNumberOfMessages: size,
        WaitTimeSeconds: EMPTY_CHECK_WAIT_SECONDS,
        VisibilityTimeout: this.options.visibilityTimeoutSeconds,
        ...allAttributes(),
      }),
      { abortSignal: this.options.signal },
    );
    return (response.Messages ?? []).map((raw) => ({ raw, stored: toStoredMessage(raw) }));
  }

  private async handle(batch: readonly Received[]): Promise<void> {
    const byDestination = new Map<string, Received[]>();
    for (const message of batch) {
      const again = this.sentIds.has(message.stored.envelope.messageId);
      const destination = again || this.options.filter?.(message.stored) === false ? undefined : this.options.destinationOf(message.stored);
      if (destination === undefined) {
        this.hold(message.raw);
        continue;
      }
      byDestination.set(destination, [...(byDestination.get(destination) ?? []), message]);
    }
    for (const [destination, messages] of byDestination) {
      const room = Math.max(0, this.wanted());
      for (const extra of messages.slice(room)) this.hold(extra.raw);
      const chosen = messages.slice(0, room);
      if (chosen.length > 0) await this.sendThenDelete(destination, chosen);
    }
  }

  private hold(message: SqsMessage): void {
    if (message.MessageId && message.ReceiptHandle && !this.held.has(message.MessageId)) {
      this.held.set(message.MessageId, message.ReceiptHandle);
      this.progress.skipped += 1;
    }
  }

  private async sendThenDelete(destination: string, messages: readonly Received[]): Promise<void> {
    await this.pace(messages.length);
    const target = await this.directory.queue(destination);
    const response = await this.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: target.url,
        Entries: messages.map(({ raw, stored }, index) => ({
          Id: String(index),
          MessageBody: raw.Body ?? '',
          MessageAttributes: attributesForResend(raw),
          MessageGroupId: target.fifo ? (stored.groupId ?? stored.envelope.messageId) : undefined,
          // Stable per dead-letter copy: a move re-run after a crash is dropped by the FIFO queue's
          // de-duplication instead of delivered twice; the envelope's own id would be dropped as a
          // duplicate of the first delivery if the redrive comes within five minutes of it.
          MessageDeduplicationId: target.fifo ? `redrive-${stored.brokerMessageId}` : undefined,
        })),
      }),
    );
    const sent = new Set((response.Successful ?? []).map((entry) => entry.Id));
    const toDelete = messages.filter((_, index) => sent.has(String(index)));
    for (const { stored } of toDelete) this.sentIds.add(stored.envelope.messageId);
    this.progress.failed += messages.length - toDelete.length;
    if (toDelete.length === 0) return;
    const deleted = await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.source.url,
        Entries: toDelete.map(({ raw }, index) => ({ Id: String(index), ReceiptHandle: raw.ReceiptHandle ?? '' })),
      }),
    );
    const deletedCount = deleted.Successful?.length ?? 0;
    this.progress.moved += deletedCount;
    // Sent but not deleted: it comes back to the source and would be moved twice; say so.
    this.progress.failed += toDelete.length - deletedCount;
  }

  /** Holds the send back until it keeps within `maxPerSecond` since the start. */
  private async pace(count: number): Promise<void> {
    const rate = this.options.maxPerSecond;
    if (rate === undefined) return;
    const due = this.startedAt + ((this.progress.moved + this.progress.failed + count - 1) / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await delay(wait, undefined, { signal: this.options.signal }).catch(() => undefined);
  }

  private async releaseHeld(): Promise<void> {
    const handles = [...this.held.values()];
    for (let start = 0; start < handles.length; start += SQS_MAX_BATCH_ENTRIES) {
      const slice = handles.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      await this.sqs
        .send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.source.url,
            Entries: slice.map((handle, index) => ({ Id: String(index), ReceiptHandle: handle, VisibilityTimeout: 0 })),
          }),
        )
        // Not released: it becomes visible again by itself when its visibility timeout ends.
        .catch(() => undefined);
    }
  }
}
