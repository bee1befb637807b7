import type { ConsumerStatus } from '../backends/messaging-backend';
import type { MoveProgress, PlannedChange, QueueCounts } from '../backends/backend-admin';
import type { RecentRates } from './message-rates';

/** Why the application knows a queue; one queue can be several of these. */
export type QueueRole = 'consumed' | 'declared' | 'dead-letter';

export interface QueueConsumerState {
  /** `'not started'` in a process that does not run consumers (`startConsumers: false`, the CLI). */
  readonly state: ConsumerStatus['state'] | 'not started';
  readonly manifests: readonly string[];
  readonly concurrency: number;
  readonly inFlight: number;
  readonly failing: boolean;
  readonly lastError?: string;
}

export interface QueueOverview {
  readonly backend: string;
  readonly queue: string;
  readonly roles: readonly QueueRole[];
  /** False when the broker has no such queue (not declared yet); counts are then absent. */
  readonly exists: boolean;
  /** Absent when the queue does not exist, the backend offers no counts, or reading them failed (`error`). */
  readonly counts?: QueueCounts;
  readonly fifo?: boolean;
  /** Its dead-letter queue, as configured on the broker. */
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
  /** For a dead-letter queue: the queues that send their failed messages here. */
  readonly deadLetterFor: readonly string[];
  /** For a queue this application consumes. */
  readonly consumer?: QueueConsumerState;
  /** For a queue this application consumes: outcomes per minute in this process. */
  readonly rates?: RecentRates;
  /** Reading the queue failed: why. The other queues are still reported. */
  readonly error?: string;
}

/** One dead-lettered message, decoded. Its payload only when asked for. */
export interface DeadLetterMessage {
  /** The library's message id (the broker's when the message carries none). */
  readonly messageId: string;
  readonly brokerMessageId: string;
  readonly manifest?: string;
  /** `melange_dead_letter_reason`; absent when the broker's own redrive moved the message. */
  readonly reason?: string;
  /** `melange_source_queue`; absent when the broker's own redrive moved the message. */
  readonly sourceQueue?: string;
  /** Receives of this copy in the dead-letter queue, the peek that read it included. */
  readonly receiveCount: number;
  /** When the message entered the dead-letter queue (when the library dead-lettered it; the original send time after SQS's own redrive). */
  readonly sentAt?: Date;
  readonly groupId?: string;
  readonly sizeBytes: number;
  /** Attributes the publisher set (the library's own ones left out). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Why the message cannot be decoded, when it cannot. */
  readonly undecodable?: string;
  readonly payload?: string;
}

export interface PeekOptions {
  /** Most messages returned. Default 10. */
  readonly max?: number;
  /** The backend holding the queue, when the application has several. */
  readonly backend?: string;
  /** Include each message's payload. Default false: payloads may hold personal data. */
  readonly includePayloads?: boolean;
}

export interface RedriveFilter {
  readonly manifest?: string | readonly string[];
  /** A substring of the reason, or a pattern it matches. */
  readonly reason?: string | RegExp;
  readonly messageId?: string | readonly string[];
}

export type RedriveProgress = MoveProgress;

export interface RedriveOptions {
  /** Where every message goes. Default: each message's source queue (`melange_source_queue`), else the one queue the application declares with this dead-letter queue. */
  readonly to?: string;
  /** Most messages sent per second, to spare what the consumer calls. Default: no limit. */
  readonly maxPerSecond?: number;
  /** Only messages matching every given field move; the others stay. */
  readonly filter?: RedriveFilter;
  /** Stop after this many messages moved. */
  readonly limit?: number;
  readonly onProgress?: (progress: RedriveProgress) => void;
  readonly backend?: string;
  /** How long a message being moved stays hidden on the dead-letter queue; after a crash it reappears this much later. Default 30. */
  readonly visibilityTimeoutSeconds?: number;
  /** Aborting stops after the batch in progress; what moved stays moved. */
  readonly signal?: AbortSignal;
}

export interface RedriveResult extends MoveProgress {
  readonly backend: string;
  readonly deadLetterQueue: string;
  /** Where messages without a `melange_source_queue` went, if anywhere. */
  readonly fallbackDestination?: string;
}

export interface PurgeOptions {
  /** The queue's name again: a purge cannot be undone. */
  readonly confirm: string;
  readonly backend?: string;
}

export interface DeclarationPlan {
  readonly backend: string;
  readonly changes: readonly PlannedChange[];
}
