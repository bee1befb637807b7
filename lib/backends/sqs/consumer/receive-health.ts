import type { LoggerService } from '@nestjs/common';
import { describeThrown } from '../../../errors';

/** Longest pause between failed receives. */
export const MAX_POLL_BACKOFF_MS = 30_000;

/**
 * How receiving from one queue goes, shared by the queue's pollers: an outage is logged once when
 * it starts and once when it ends, however many pollers meet it and however often they retry.
 */
export class ReceiveHealth {
  lastPollAt: number | undefined;
  lastError: string | undefined;
  private failedAttempts = 0;

  constructor(
    private readonly queue: string,
    private readonly logger: LoggerService,
    private readonly firstBackoffMs: number,
  ) {}

  get failing(): boolean {
    return this.lastError !== undefined;
  }

  succeeded(): void {
    this.lastPollAt = Date.now();
    if (this.failedAttempts > 0) {
      this.logger.log(`queue=${this.queue}: receiving works again after ${this.failedAttempts} failed attempt(s)`);
    }
    this.failedAttempts = 0;
    this.lastError = undefined;
  }

  failed(error: unknown): void {
    this.lastError = describeThrown(error, { withName: true });
    if (this.failedAttempts++ === 0) {
      this.logger.error(
        `queue=${this.queue}: receiving failed, retrying with backoff from ${this.firstBackoffMs} ms up to ${MAX_POLL_BACKOFF_MS} ms ` +
          `(logged again when it recovers): ${this.lastError}`);
    }
  }
}
