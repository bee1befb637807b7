import type { Envelope } from '../../messages/envelope';
import type {
  ConsumeOptions,
  ConsumerHandle,
  ConsumerStatus,
  Delivery,
  DeliveryHandler,
  MessagingBackend,
  QueueSpec,
  SendOptions,
  SendResult,
  SubscriptionSpec,
  TopicSpec,
} from '../messaging-backend';
import { InMemoryQueue, type MessageLease } from './in-memory-queue';

/**
 * A broker inside the process, for tests and local tools. Queues behave like SQS queues
 * (visibility timeout, receive counts, redrive to a dead-letter queue, FIFO groups); topics fan
 * out to subscribed queues, filtered by manifest. Queues and topics spring into being on first
 * use, so a test need not declare what it does not configure.
 */
export class InMemoryBackend implements MessagingBackend {
  readonly system = 'in_memory';
  private readonly queues = new Map<string, InMemoryQueue>();
  private readonly subscriptions = new Map<string, SubscriptionSpec[]>();
  /** Consumers not yet drained, for close() to abandon. */
  private readonly consumers = new Set<InMemoryConsumer>();

  async declareQueue(spec: QueueSpec): Promise<void> {
    this.queue(spec.name).configure(spec);
  }

  async declareTopic(spec: TopicSpec): Promise<void> {
    if (!this.subscriptions.has(spec.name)) this.subscriptions.set(spec.name, []);
  }

  async declareSubscription(spec: SubscriptionSpec): Promise<void> {
    const subscriptions = this.subscriptions.get(spec.topic) ?? [];
    const others = subscriptions.filter((existing) => existing.queue !== spec.queue);
    this.subscriptions.set(spec.topic, [...others, spec]);
    this.queue(spec.queue);
  }

  async send(queue: string, envelope: Envelope, options?: SendOptions): Promise<SendResult> {
    this.queue(queue).enqueue(envelope, options);
    return { messageId: envelope.messageId };
  }

  async publish(topic: string, envelope: Envelope, options?: SendOptions): Promise<SendResult> {
    for (const subscription of this.subscriptions.get(topic) ?? []) {
      if (accepts(subscription, envelope)) this.queue(subscription.queue).enqueue(envelope, options);
    }
    return { messageId: envelope.messageId };
  }

  consume(queueName: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`consume("${queueName}"): concurrency must be a positive integer, got ${options.concurrency}`);
    }
    const consumer = new InMemoryConsumer(this.queue(queueName), handler, options.concurrency, (drained) =>
      this.consumers.delete(drained),
    );
    this.consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  /** Always reachable: it lives in this process. */
  async checkHealth(): Promise<void> {}

  /**
   * Consumers still here were not stopped in time (the module's shutdown timeout ran out): they
   * are abandoned, as the SQS backend abandons its own. Their running handlers no longer hold their
   * messages, which come back after the visibility timeout; nothing more is handed to them.
   */
  async close(): Promise<void> {
    for (const consumer of this.consumers) consumer.abandon();
    this.consumers.clear();
  }

  /** Messages waiting in a queue, oldest first: for assertions in tests. */
  waitingIn(queue: string): Envelope[] {
    return this.queue(queue).waiting();
  }

  inFlightIn(queue: string): number {
    return this.queue(queue).inFlightCount();
  }

  private queue(name: string): InMemoryQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new InMemoryQueue({ name }, (other) => this.queue(other));
      this.queues.set(name, queue);
    }
    return queue;
  }
}

/**
 * One consume() call: hands each message it takes to the handler and holds it, invisible, until
 * the handler's promise settles, as the SQS backend renews the visibility of running messages.
 */
class InMemoryConsumer implements ConsumerHandle {
  /** Each running handler, with the lease that keeps its message invisible. */
  private readonly running = new Map<Promise<void>, MessageLease>();
  private state: ConsumerStatus['state'] = 'running';
  private removeReceiver: () => void = () => undefined;
  private drained?: Promise<void>;

  constructor(
    private readonly queue: InMemoryQueue,
    private readonly handler: DeliveryHandler,
    private readonly concurrency: number,
    private readonly onDrained: (consumer: InMemoryConsumer) => void,
  ) {}

  start(): void {
    this.removeReceiver = this.queue.addReceiver({
      capacity: () => this.concurrency - this.running.size,
      receive: (delivery, lease) => this.handle(delivery, lease),
    });
  }

  /** Stops taking messages; handlers already running go on. */
  pause(): void {
    if (this.state !== 'running') return;
    this.state = 'paused';
    this.removeReceiver();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.start();
    this.queue.pump();
  }

  stop(): Promise<void> {
    this.drained ??= this.drain();
    return this.drained;
  }

  /** Stops receiving and lets go of the messages being handled, without waiting for their handlers. */
  abandon(): void {
    this.removeReceiver();
    for (const lease of this.running.values()) lease.release();
    this.state = 'stopped';
  }

  status(): ConsumerStatus {
    const inFlight = this.running.size;
    return { state: this.state, failing: false, inFlight, saturated: inFlight >= this.concurrency };
  }

  private async drain(): Promise<void> {
    if (this.state === 'running' || this.state === 'paused') this.state = 'stopping';
    this.removeReceiver();
    await Promise.all(this.running.keys());
    this.state = 'stopped';
    this.onDrained(this);
  }

  private handle(delivery: Delivery, lease: MessageLease): void {
    const work = startHandler(this.handler, delivery)
      // The handler owns its errors: without a decision the message comes back after its timeout.
      .catch(() => undefined)
      .finally(() => this.settled(work, lease));
    this.running.set(work, lease);
  }

  private settled(work: Promise<void>, lease: MessageLease): void {
    lease.release();
    this.running.delete(work);
    this.queue.pump();
  }
}

/**
 * A handler that throws before returning its promise, or (from plain JavaScript) returns none,
 * must not break the queue's pump loop.
 */
function startHandler(handler: DeliveryHandler, delivery: Delivery): Promise<void> {
  try {
    return Promise.resolve(handler(delivery));
  } catch (error) {
    return Promise.reject(error);
  }
}

function accepts(subscription: SubscriptionSpec, envelope: Envelope): boolean {
  const manifests = subscription.manifests;
  if (!manifests) return true;
  return envelope.manifest !== undefined && manifests.includes(envelope.manifest);
}
