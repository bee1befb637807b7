import type { RetryOptions } from '../melange.options';

const DEFAULTS = { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 5 * 60 * 1000 } as const;

export class RetryPolicy {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;

  constructor(options: RetryOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
    this.initialDelayMs = options.initialDelayMs ?? DEFAULTS.initialDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  }

  exhausted(receiveCount: number): boolean {
    return receiveCount >= this.maxAttempts;
  }

  /**
   * Exponential backoff with "equal jitter": half the delay is fixed so retries do back off, half
   * is random so a burst of failures does not come back as a burst.
   */
  delayAfter(receiveCount: number, random: () => number = Math.random): number {
    const exponential = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.max(0, receiveCount - 1));
    return Math.round(exponential / 2 + (random() * exponential) / 2);
  }
}
