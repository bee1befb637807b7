import { ChangeMessageVisibilityBatchCommand, type Message as SqsMessage, type SQSClient } from '@aws-sdk/client-sqs';
import type { LoggerService } from '@nestjs/common';
import { SQS_MAX_BATCH_ENTRIES } from './sqs-backend.options';
import { describeThrown } from '../../errors';
import { logSafe } from '../../log-safe';

const RELEASED: Promise<void> = Promise.resolve();

/** A message the keeper holds invisible until `release()`. */
export interface VisibilityLease {
  /** Stops renewing; resolves once no renewal that may include it is in flight. */
  release(): Promise<void>;
}

/** A message the keeper holds, which is also its lease: one object per message received. */
class Held implements VisibilityLease {
  renewedAt = Date.now();
  warned = false;
  /** The renewal request that includes it, while one is in flight. */
  renewal?: Promise<void>;

  constructor(
    readonly message: SqsMessage,
    private readonly holder: Set<Held>,
  ) {}

  /**
   * So that a renewal of this message never lands after the caller's own visibility change or
   * delete; renewals of other messages are none of its business. No async function: this runs
   * for every message, almost always with no renewal to wait for.
   */
  release(): Promise<void> {
    this.holder.delete(this);
    return this.renewal ?? RELEASED;
  }
}

interface KeeperDependencies {
  readonly client: SQSClient;
  readonly queue: string;
  readonly queueUrl: string;
  /** The visibility timeout each renewal sets; no renewals when it is 1 s or less. */
  readonly visibilitySeconds: number;
  readonly logger: LoggerService;
}

/**
 * Keeps one queue's received messages invisible from receipt until they are settled or handed
 * back: messages waiting behind a FIFO group's running message need it as much as running ones.
 *
 * One timer per consumer, ticking every quarter of the timeout, renews (ten per batch request)
 * the messages not renewed for that long, so each is renewed at the latest half-way through its
 * timeout. A timer per message cost every message a setInterval and a clearInterval, though
 * almost all are settled long before their first renewal.
 */
export class VisibilityKeeper {
  private readonly held = new Set<Held>();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly deps: KeeperDependencies) {
    if (deps.visibilitySeconds <= 1) return;
    this.timer = setInterval(() => this.renewDue(), this.periodMs);
    this.timer.unref();
  }

  hold(message: SqsMessage): VisibilityLease {
    const held = new Held(message, this.held);
    this.held.add(held);
    return held;
  }

  /** Stops renewing anything: held messages come back when their visibility timeout ends. */
  close(): void {
    clearInterval(this.timer);
    this.held.clear();
  }

  private get periodMs(): number {
    return (this.deps.visibilitySeconds * 1000) / 4;
  }

  private renewDue(): void {
    const now = Date.now();
    // One renewal in flight per message at most, so that release() has one to wait for.
    const due = [...this.held].filter((held) => !held.renewal && now - held.renewedAt >= this.periodMs);
    if (due.length === 0) return;
    for (let start = 0; start < due.length; start += SQS_MAX_BATCH_ENTRIES) {
      const chunk = due.slice(start, start + SQS_MAX_BATCH_ENTRIES);
      const renewal = this.renew(chunk).finally(() => {
        for (const held of chunk) if (held.renewal === renewal) held.renewal = undefined;
      });
      for (const held of chunk) {
        held.renewedAt = now;
        held.renewal = renewal;
      }
    }
  }

  private async renew(chunk: readonly Held[]): Promise<void> {
    const { client, queueUrl, visibilitySeconds } = this.deps;
    try {
      const response = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((held, index) => ({ Id: String(index), ReceiptHandle: held.message.ReceiptHandle ?? '', VisibilityTimeout: visibilitySeconds })),
        }),
      );
      for (const failed of response.Failed ?? []) {
        this.warn(chunk[Number(failed.Id)], `${failed.Code ?? 'Unknown'}: ${failed.Message ?? ''}`);
      }
    } catch (error) {
      for (const held of chunk) this.warn(held, describeThrown(error, { withName: true }));
    }
  }

  /** Once per message, and not for one released meanwhile (its receipt may be gone by design). */
  private warn(held: Held | undefined, why: string): void {
    if (!held || held.warned || !this.held.has(held)) return;
    held.warned = true;
    this.deps.logger.warn(
      `queue=${this.deps.queue} message=${logSafe(held.message.MessageId ?? '')}: could not extend its visibility while it waits or runs; ` +
        `it may be delivered again before it is settled: ${why}`);
  }
}
