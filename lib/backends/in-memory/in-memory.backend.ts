import type { Envelope } from '../../messages/envelope';
import type {
  ConsumeOptions,
  ConsumerHandle,
  Delivery,
  DeliveryHandler,
  MessagingBackend,
  QueueSpec,
  SendOptions,
  SendResult,
  SubscriptionSpec,
  TopicSpec,
} from '../messaging-backend';
import { InMemoryQueue } from './in-memory-queue';

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
    const queue = this.queue(queueName);
    const running = new Set<Promise<void>>();
    let state: 'running' | 'stopping' | 'stopped' = 'running';
    const remove = queue.addReceiver({
      capacity: () => options.concurrency - running.size,
      receive: (delivery: Delivery) => {
        const work = handler(delivery)
          .catch(() => undefined) // the handler owns its errors; the message stays in flight until it times out
          .finally(() => {
            running.delete(work);
            queue.pump();
          });
        running.add(work);
      },
    });
    return {
      stop: async () => {
        if (state === 'running') state = 'stopping';
        remove();
        await Promise.all(running);
        state = 'stopped';
      },
      status: () => ({ state, failing: false, inFlight: running.size, saturated: running.size >= options.concurrency }),
    };
  }

  /** Always reachable: it lives in this process. */
  async checkHealth(): Promise<void> {}

  async close(): Promise<void> {
    for (const queue of this.queues.values()) queue.close();
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

function accepts(subscription: SubscriptionSpec, envelope: Envelope): boolean {
  const manifests = subscription.manifests;
  if (!manifests) return true;
  return envelope.manifest !== undefined && manifests.includes(envelope.manifest);
}
