import type { RetryOptions } from '../melange.options';
import type { OutboxDatabase } from './outbox-database';

export interface OutboxRelayOptions {
  /** Rows claimed and sent per round. Default 100. */
  readonly batchSize?: number;
  /** How often the relay looks for rows when no notification woke it. Default 1000 ms. */
  readonly pollIntervalMs?: number;
  /** Wake on the database's notifications as rows commit (LISTEN/NOTIFY). Default true. */
  readonly listen?: boolean;
  /**
   * How long a claimed row is reserved for the relay that claimed it. A relay that dies holding
   * rows delays them this long; a send slower than this may be repeated by another relay.
   * Default 60 000 ms.
   */
  readonly leaseMs?: number;
  /** Backoff between failed sends of a row (`maxAttempts` does not apply: rows are never dropped). */
  readonly retry?: Omit<RetryOptions, 'maxAttempts'>;
  /** Keep sent rows this long (for audit) instead of deleting them at once. Default: delete. */
  readonly keepSentMs?: number;
}

export interface OutboxOptions {
  /** Where the relay reads the outbox: `pgOutboxDatabase(pool)` for node-postgres. */
  readonly database: OutboxDatabase;
  /** PostgreSQL schema of the outbox table. Default `public`. */
  readonly schema?: string;
  /** Options of the relay that moves committed rows to the broker; `false` in processes that only write. */
  readonly relay?: OutboxRelayOptions | false;
  /**
   * How long inbox handlers' message keys are kept: a redelivery later than this runs the handler
   * again. Pruned by the relay. Default 7 days (SQS keeps a message at most 14 days, but a
   * redelivery after days means something else went wrong).
   */
  readonly inboxRetentionMs?: number;
}
