import type { Envelope } from '../messages/envelope';

/** Options a broker needs when a message is sent, beside the envelope itself. */
export interface SendOptions {
  /** FIFO only: messages of one group are delivered in order, one at a time. */
  readonly groupId?: string;
  /** FIFO only: the broker drops a second message with the same id within its window. */
  readonly deduplicationId?: string;
  /** Seconds before the message becomes visible (SQS allows 0–900). */
  readonly delaySeconds?: number;
}

export interface SendResult {
  /** The library's message id (the envelope's). */
  readonly messageId: string;
  /** The id the broker assigned, when it assigns one. */
  readonly brokerMessageId?: string;
}

export interface QueueSpec {
  readonly name: string;
  /** Seconds a received message stays invisible to other consumers. */
  readonly visibilityTimeout?: number;
  readonly messageRetentionPeriod?: number;
  readonly delaySeconds?: number;
  /** FIFO queues; the name must end in `.fifo` on SQS. */
  readonly fifo?: boolean;
  readonly contentBasedDeduplication?: boolean;
  /** Where a message goes after `maxReceiveCount` receives, and where undecodable messages go at once. */
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly fifo?: boolean;
  readonly contentBasedDeduplication?: boolean;
}

export interface SubscriptionSpec {
  readonly topic: string;
  readonly queue: string;
  /** Deliver the payload itself instead of the broker's notification envelope. */
  readonly rawDelivery?: boolean;
  /** Only these manifests reach the queue. */
  readonly manifests?: readonly string[];
  /** A broker-specific filter policy, when `manifests` is not enough. */
  readonly filterPolicy?: Readonly<Record<string, unknown>>;
}

/** One received message and the decisions a consumer can take about it. Exactly one should be taken. */
export interface Delivery {
  readonly queue: string;
  readonly envelope: Envelope;
  /**
   * Set when the broker's message could not be read as an envelope (an attribute of the wrong
   * type, say): why. The envelope then carries the raw body and an id, and the message is to be
   * dead-lettered with this reason, never handed to a handler.
   */
  readonly undecodable?: string;
  /** 1 on the first delivery, incremented each time the broker delivers it again. */
  readonly receiveCount: number;
  /** FIFO message group, when the broker reports one. */
  readonly groupId?: string;
  /**
   * Done: the broker forgets the message. A backend may resolve once the acknowledgement is on its
   * way rather than confirmed (SQS does, for messages outside FIFO groups); it then logs a refusal
   * itself, and the message is delivered again, as after any lost acknowledgement.
   */
  ack(): Promise<void>;
  /** Not done: deliver it again after `delayMs` (the broker may cap the delay). */
  retry(delayMs: number): Promise<void>;
  /**
   * Cannot be handled, now or later: move it to the queue's dead-letter queue with the reason.
   * Resolves to false when the queue has none, so the caller can fall back to another choice.
   */
  deadLetter(reason: string): Promise<boolean>;
}

export interface ConsumeOptions {
  /** Most messages being handled at once; the backend never holds many more than this. */
  readonly concurrency: number;
}

/** What a consumer says about itself, for health checks. */
export interface ConsumerStatus {
  /** 'paused': receiving stopped by `pause()`, handlers already running go on. */
  readonly state: 'running' | 'paused' | 'stopping' | 'stopped';
  /** Receiving from the broker fails at the moment (it keeps retrying). */
  readonly failing: boolean;
  readonly lastError?: string;
  /** Epoch ms of the last receive that completed, for pull brokers: a consumer that stops polling is stuck. */
  readonly lastPollAt?: number;
  /**
   * Messages being handled now, including acknowledged ones whose delete the broker has not
   * confirmed yet (their slot already went to the next message): up to twice the concurrency.
   */
  readonly inFlight: number;
  /** Every slot is taken, so the consumer is not receiving, by design. */
  readonly saturated: boolean;
}

export interface ConsumerHandle {
  /**
   * Stop receiving, wait for messages already being handled, and hand back to the broker what was
   * received but not started. Resolves when that is done. Never call it from one of this
   * consumer's own handlers: it would wait for itself.
   */
  stop(): Promise<void>;
  status(): ConsumerStatus;
  /** Stops receiving until `resume()`; handlers already running go on (a downstream rate limit, an incident). */
  pause(): void;
  resume(): void;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/**
 * What a broker implements. Pull brokers (SQS) poll inside `consume`; push brokers (AMQP) register
 * a subscriber there with a prefetch of `concurrency`. Either way the handler decides the outcome.
 */
export interface MessagingBackend {
  /** The broker's `messaging.system` name in OpenTelemetry terms, e.g. `aws_sqs`. */
  readonly system?: string;
  declareQueue(spec: QueueSpec): Promise<void>;
  declareTopic(spec: TopicSpec): Promise<void>;
  declareSubscription(spec: SubscriptionSpec): Promise<void>;
  send(queue: string, envelope: Envelope, options?: SendOptions): Promise<SendResult>;
  publish(topic: string, envelope: Envelope, options?: SendOptions): Promise<SendResult>;
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle;
  /** Resolves when the broker answers; rejects with the reason when it does not. */
  checkHealth(): Promise<void>;
  /** Release connections. Called after every consumer has stopped. */
  close(): Promise<void>;
}
