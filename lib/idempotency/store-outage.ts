import { IdempotencyStoreTimeoutError, describeThrown } from '../errors';

/** How a request to the idempotency store is retried while the store does not answer. */
export interface OutageBackoff {
  /** Pause after the first failed attempt; it doubles after each failure. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest one message waits for the store, from its first attempt, before the caller gives up. */
  readonly maxWaitMs: number;
}

export const DEFAULT_OUTAGE_BACKOFF: OutageBackoff = { firstDelayMs: 100, maxDelayMs: 5_000, maxWaitMs: 60_000 };

/** Where the start and the end of an outage are told; Nest's `Logger` fits. */
export interface OutageLog {
  warn(message: string): void;
  log(message: string): void;
}

/** Time, replaceable so that a spec can check the backoff without waiting for it. */
export interface OutageClock {
  now(): number;
  /** Resolves after `ms`, or as soon as `signal` aborts. */
  pause(ms: number, signal?: AbortSignal): Promise<void>;
}

export type StoreAnswer<T> =
  | { readonly answered: true; readonly value: T }
  | { readonly answered: false; readonly waitedMs: number; readonly lastError: unknown };

/**
 * Asks the idempotency store on a message's behalf, again and again while it fails, and says when
 * an outage starts and when it ends: one line each, however many messages wait on it and however
 * many attempts they make. One per dispatcher, since all its messages share the store.
 */
export class StoreOutage {
  private current: { readonly since: number; held: number } | undefined;

  constructor(
    private readonly backoff: OutageBackoff,
    private readonly log: OutageLog,
    private readonly clock: OutageClock = realClock,
  ) {}

  /**
   * Calls `request` until it answers, pausing with exponential backoff between failures, for at
   * most `maxWaitMs` (plus at most `maxDelayMs` for a request that hangs). `who` names the message
   * in the line that opens an outage. An aborted `signal` ends a pause at once, and the wait with
   * it; a request in flight is not interrupted.
   */
  async ask<T>(request: () => Promise<T>, who: string, signal?: AbortSignal): Promise<StoreAnswer<T>> {
    const startedAt = this.clock.now();
    let delayMs = this.backoff.firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      let lastError: unknown;
      try {
        const value = await this.attempt(request, this.timeLeft(startedAt));
        this.answered();
        return { answered: true, value };
      } catch (error) {
        lastError = error;
      }
      this.failed(lastError, who, attempt === 1);
      const waitedMs = this.clock.now() - startedAt;
      if (waitedMs >= this.backoff.maxWaitMs || signal?.aborted) return { answered: false, waitedMs, lastError };
      await this.clock.pause(Math.min(delayMs, this.backoff.maxWaitMs - waitedMs), signal);
      if (signal?.aborted) return { answered: false, waitedMs: this.clock.now() - startedAt, lastError };
      delayMs = Math.min(delayMs * 2, this.backoff.maxDelayMs);
    }
  }

  /**
   * What is left of the message's wait, for one request; never less than the longest pause, so
   * that a slow but healthy store is not cut short, even near the end of the wait or with no wait.
   */
  private timeLeft(startedAt: number): number {
    return Math.max(this.backoff.maxDelayMs, this.backoff.maxWaitMs - (this.clock.now() - startedAt));
  }

  /**
   * A client with an offline queue, or a silent network, can leave a request pending far longer
   * than the message may wait. The request is not cancelled: if it lands later (a claim, say), the
   * message's next delivery finds that claim and waits for its lease, which is not lost either.
   */
  private async attempt<T>(request: () => Promise<T>, timeoutMs: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new IdempotencyStoreTimeoutError(timeoutMs)), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([request(), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private failed(error: unknown, who: string, firstFailureOfMessage: boolean): void {
    if (!this.current) {
      this.current = { since: this.clock.now(), held: 0 };
      this.log.warn(
        `The idempotency store failed (${describeThrown(error, { withName: true })}), first for ${who}. Messages are held ` +
          `unhandled, their visibility renewed, while their claim is retried for up to ${this.backoff.maxWaitMs} ms each ` +
          `(consumers.idempotency.storeOutageMaxWaitMs); logged again when the store answers.`,
      );
    }
    if (firstFailureOfMessage) this.current.held++;
  }

  private answered(): void {
    if (!this.current) return;
    const { since, held } = this.current;
    this.current = undefined;
    this.log.log(`The idempotency store answers again after ${Math.floor(this.clock.now() - since)} ms; ${held} message(s) waited on it meanwhile.`);
  }
}

const realClock: OutageClock = {
  // Monotonic and finer than Date.now(), whose whole milliseconds could call a wait of 299.1 ms
  // "300 ms" and let a message go back to the broker before storeOutageMaxWaitMs had passed.
  now: () => performance.now(),
  pause: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      // The running consumer keeps the process alive; a message waiting on the store must not
      // keep it alive after the consumer has stopped: the broker delivers that message again.
      timer.unref();
      signal?.addEventListener('abort', done, { once: true });
    }),
};
