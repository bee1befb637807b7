import { ConsumerConfigurationError, describeThrown } from '../errors';
import { logSafe } from '../log-safe';
import type { IdempotencyOptions } from '../melange.options';
import type { IdempotencyStore } from './idempotency-store';
import { DEFAULT_OUTAGE_BACKOFF, StoreOutage, type OutageLog } from './store-outage';

const DEFAULT_LEASE_MS = 5 * 60 * 1000;
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;

/** What the store says of a delivery before its handler may run. */
export type Claim =
  | { readonly verdict: 'run' }
  /** Handled before: this delivery is a duplicate. */
  | { readonly verdict: 'done' }
  /** Another delivery holds the lease; try again after it. */
  | { readonly verdict: 'busy'; readonly leaseMs: number }
  /** The store did not answer for as long as a message may be held. */
  | { readonly verdict: 'unanswered'; readonly waitedMs: number; readonly lastError: unknown };

const RUN: Claim = { verdict: 'run' };
const DONE: Claim = { verdict: 'done' };

/**
 * The idempotency store as the dispatcher uses it: a claim before the handler, what became of it
 * after. A store that fails is asked again while the message is held (StoreOutage), since without
 * it a duplicate cannot be told apart, and running a handler twice is worse than waiting.
 */
export class IdempotencyGate {
  private readonly store: IdempotencyStore;
  private readonly leaseMs: number;
  private readonly ttlMs: number;
  private readonly outage: StoreOutage;

  /** Refuses settings that would let a second delivery run beside the first, or a bad outage bound. */
  constructor(
    options: IdempotencyOptions,
    handlerTimeoutMs: number | undefined,
    private readonly log: OutageLog & { error(message: string): void },
  ) {
    const { store, leaseMs = DEFAULT_LEASE_MS, ttlMs = DEFAULT_TTL_MS } = options;
    if (handlerTimeoutMs !== undefined && handlerTimeoutMs >= leaseMs) {
      throw new ConsumerConfigurationError(
        `consumers.idempotency.leaseMs (${leaseMs} ms) must be longer than consumers.handlerTimeoutMs (${handlerTimeoutMs} ms): ` +
          `a claim that ends while its handler still runs lets a second delivery run it too.`,
      );
    }
    this.store = store;
    this.leaseMs = leaseMs;
    this.ttlMs = ttlMs;
    this.outage = new StoreOutage({ ...DEFAULT_OUTAGE_BACKOFF, maxWaitMs: storeOutageMaxWait(options.storeOutageMaxWaitMs) }, log);
  }

  /** `who` names the message in log lines; an aborted `signal` (shutdown) ends the wait at once. */
  async claim(key: string, who: string, signal: AbortSignal): Promise<Claim> {
    const answer = await this.outage.ask(() => this.store.begin(key, this.leaseMs), who, signal);
    if (!answer.answered) return { verdict: 'unanswered', waitedMs: answer.waitedMs, lastError: answer.lastError };
    if (answer.value === 'started') return RUN;
    return answer.value === 'done' ? DONE : { verdict: 'busy', leaseMs: this.leaseMs };
  }

  /** Tells the store how the handler ended; a store that fails then is logged, not thrown. */
  async remember(key: string, outcome: 'complete' | 'abandon', who: string): Promise<void> {
    try {
      await (outcome === 'complete' ? this.store.complete(key, this.ttlMs) : this.store.abandon(key));
    } catch (error) {
      this.log.error(`${who}: the idempotency store failed to ${outcome} it: ${describeThrown(error)}`);
    }
  }
}

function storeOutageMaxWait(value: number | undefined): number {
  if (value === undefined) return DEFAULT_OUTAGE_BACKOFF.maxWaitMs;
  if (Number.isInteger(value) && value >= 0) return value;
  throw new ConsumerConfigurationError(
    `consumers.idempotency.storeOutageMaxWaitMs must be a whole number of milliseconds, 0 or more; got ${describeOption(value)}. ` +
      `It bounds how long a message is held while the idempotency store does not answer (default ${DEFAULT_OUTAGE_BACKOFF.maxWaitMs}).`,
  );
}

/** Options often come from environment variables, as strings: say so rather than print `60000`. */
function describeOption(value: unknown): string {
  if (typeof value === 'string') return `the string "${logSafe(value)}"`;
  return typeof value === 'number' ? String(value) : `a value of type ${typeof value}`;
}
