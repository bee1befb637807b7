import type { Envelope } from '../messages/envelope';
import type { MessagingBackend, QueueSpec, SubscriptionSpec, TopicSpec } from './messaging-backend';

/** How many messages sit on a queue, by state, as the broker counts them (approximately, on SQS). */
export interface QueueCounts {
  /** Waiting to be received. */
  readonly visible: number;
  /** Received by a consumer and neither deleted nor released yet. */
  readonly inFlight: number;
  /** Sent with a delay that has not ended. */
  readonly delayed: number;
}

export interface QueueDetails extends QueueCounts {
  readonly fifo: boolean;
  /** From the queue's own redrive configuration on the broker. */
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
}

/** A message as it sits on a queue, read without handling it. */
export interface StoredMessage {
  /** The broker's id for this copy of the message; stable across receives. */
  readonly brokerMessageId: string;
  readonly envelope: Envelope;
  /** Set when the message cannot be read as an envelope: why. */
  readonly undecodable?: string;
  /** The `melange_dead_letter_reason` attribute, when the library dead-lettered it. */
  readonly deadLetterReason?: string;
  /** The `melange_source_queue` attribute, when the library dead-lettered it. */
  readonly sourceQueue?: string;
  /** Receives of this copy so far, the current one included. */
  readonly receiveCount: number;
  /**
   * When this copy entered the queue. For a copy the library dead-lettered, that is when it was
   * dead-lettered; a broker that moves messages itself (SQS's redrive) keeps the original time.
   */
  readonly sentAt?: Date;
  readonly groupId?: string;
  /** Body bytes as the broker holds them. */
  readonly sizeBytes: number;
}

export interface MoveProgress {
  /** Sent to their destination and deleted from the source. */
  readonly moved: number;
  /** Left where they were: the filter did not take them, or they had no destination. */
  readonly skipped: number;
  /** The send or the delete failed; they reappear on the source after the visibility timeout. */
  readonly failed: number;
}

export interface MoveOptions {
  /** Where each message goes; undefined leaves it on the source (counted as skipped). */
  readonly destinationOf: (message: StoredMessage) => string | undefined;
  readonly filter?: (message: StoredMessage) => boolean;
  /** Most messages sent per second. Default: no limit. */
  readonly maxPerSecond?: number;
  /** Stop after this many messages moved. */
  readonly limit?: number;
  /** How long a message being moved, or one the filter left, stays hidden on the source. */
  readonly visibilityTimeoutSeconds: number;
  readonly onProgress?: (progress: MoveProgress) => void;
  readonly signal?: AbortSignal;
}

export type PlannedAction = 'create' | 'update' | 'none';

export interface PlannedChange {
  readonly kind: 'queue' | 'topic' | 'subscription' | 'queue-policy';
  /** The queue or topic name, or "topic → queue". */
  readonly name: string;
  readonly action: PlannedAction;
  /** Attribute by attribute; `from` is absent for what does not exist yet. */
  readonly changes: ReadonlyArray<{ readonly attribute: string; readonly from?: string; readonly to: string }>;
}

/**
 * What a backend offers for operating it: counts, reading messages without handling them, moving
 * and purging them, and planning a declaration without applying it. Optional: a backend without it
 * still sends and consumes, and `MelangeAdmin` says which operation it lacks.
 */
export interface BackendAdmin {
  /** Undefined when the queue does not exist. */
  queueDetails(queue: string): Promise<QueueDetails | undefined>;
  /** Up to `max` messages, received and released at once: each receive counts on the message. */
  peek(queue: string, max: number): Promise<StoredMessage[]>;
  /** Moves messages one batch at a time: sent first, deleted from the source only once sent. */
  move(source: string, options: MoveOptions): Promise<MoveProgress>;
  purge(queue: string): Promise<void>;
  /** What declaring these would change, read from the broker and written nowhere. */
  plan(infrastructure: {
    readonly queues: readonly QueueSpec[];
    readonly topics: readonly TopicSpec[];
    readonly subscriptions: readonly SubscriptionSpec[];
  }): Promise<PlannedChange[]>;
}

/** A backend that can be operated through `MelangeAdmin`. */
export interface AdministrableBackend extends MessagingBackend {
  readonly admin: BackendAdmin;
}

export function adminOf(backend: MessagingBackend): BackendAdmin | undefined {
  const admin = (backend as Partial<AdministrableBackend>).admin;
  return typeof admin === 'object' && admin !== null ? admin : undefined;
}
