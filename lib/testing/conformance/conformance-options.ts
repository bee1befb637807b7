import type { MessagingBackend } from '../../backends/messaging-backend';

/**
 * What the kit checks that a backend may lack. A backend declares each one it lacks in
 * `unsupported`, with the reason; the kit then registers those specs as skipped, the reason in
 * their title, so a report shows what was not checked.
 */
export type ConformanceCapability =
  /** FIFO queues: one message per group at a time, in order, retries included. */
  | 'orderedGroups'
  /** `SendOptions.delaySeconds`. */
  | 'delayedSend'
  /** The broker itself moves a message to the dead-letter queue after `maxReceiveCount` receives. */
  | 'maxReceiveCount'
  /** `SubscriptionSpec.filterPolicy` with `{ attribute: ['value'] }` equality. */
  | 'filterPolicy';

export interface BackendConformanceOptions {
  /** Shown in the describe block's title. */
  readonly name: string;
  /**
   * A new backend on the broker under test. The kit calls it once per spec and closes what it
   * returns afterwards; every spec uses queue and topic names of its own.
   */
  readonly create: () => MessagingBackend | Promise<MessagingBackend>;
  /** Capabilities the backend lacks, each with the reason printed in the skipped spec's title. */
  readonly unsupported?: Partial<Record<ConformanceCapability, string>>;
  /**
   * Puts messages on `queue` the way a foreign or broken producer would (a body that is not the
   * serializer's format, headers or attributes of the wrong type, no manifest), through the
   * broker's own client rather than the backend. Returns how many it put. Without it the
   * hostile-input specs are skipped.
   */
  readonly putHostileMessages?: (queue: string) => Promise<number>;
  /**
   * A backend whose broker cannot be reached (a closed port), for the health spec. Without it
   * that spec is skipped.
   */
  readonly createUnreachable?: () => MessagingBackend | Promise<MessagingBackend>;
  /**
   * How long the kit waits for a message that should arrive. Queues are declared with a
   * visibility timeout of 1 s, so a broker that redelivers on a timeout does so quickly.
   */
  readonly deliveryTimeoutMs?: number;
}
