import { Logger, type LoggerService } from '@nestjs/common';
import type { Envelope } from '../../messages/envelope';
import { MessageRejectedError, RabbitMqUnavailableError } from '../../errors';
import type {
  ConsumeOptions,
  ConsumerHandle,
  DeliveryHandler,
  MessagingBackend,
  QueueSpec,
  SendOptions,
  SendResult,
  SubscriptionSpec,
  TopicSpec,
} from '../messaging-backend';
import { encode, reservedHeader } from './amqp-wire-format';
import { ConfirmPublisher } from './confirm-publisher';
import { ConnectionKeeper } from './connection-keeper';
import { RabbitMqConsumer } from './rabbitmq-consumer';
import { resolveRabbitMqOptions, type RabbitMqBackendOptions, type ResolvedRabbitMqOptions } from './rabbitmq-backend.options';
import { Settlement } from './settlement';
import { Topology } from './topology';

const HEALTH_TIMEOUT_MS = 5000;

/**
 * RabbitMQ (AMQP 0-9-1) behind the `MessagingBackend` contract. Queues are durable queues; topics
 * are headers exchanges that route by manifest and attributes; retries and delayed sends wait in
 * per-delay TTL queues that dead-letter back to the work queue, so no plugin is needed; FIFO
 * queues use a single active consumer. Queues must be declared through the backend (MelangeModule
 * does) for their dead-letter queue, redrive and FIFO handling to apply.
 */
export class RabbitMqBackend implements MessagingBackend {
  readonly system = 'rabbitmq';
  private readonly options: ResolvedRabbitMqOptions;
  private readonly keeper: ConnectionKeeper;
  private readonly publisher: ConfirmPublisher;
  private readonly topology: Topology;
  private readonly logger: LoggerService;
  private readonly consumers = new Set<RabbitMqConsumer>();

  constructor(options: RabbitMqBackendOptions) {
    this.options = resolveRabbitMqOptions(options);
    this.logger = options.logger ?? new Logger('Melange');
    this.keeper = new ConnectionKeeper(this.options.url, this.options.maxReconnectDelayMs, this.logger, this.options.connectionName);
    this.publisher = new ConfirmPublisher(this.keeper, this.options.publishTimeoutMs);
    this.topology = new Topology(this.keeper);
  }

  declareQueue(spec: QueueSpec): Promise<void> {
    return this.topology.declareQueue(spec, this.options.maxReceiveCount);
  }

  declareTopic(spec: TopicSpec): Promise<void> {
    return this.topology.declareTopic(spec);
  }

  declareSubscription(spec: SubscriptionSpec): Promise<void> {
    return this.topology.declareSubscription(spec);
  }

  async send(queue: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    checkAttributes(queue, envelope);
    const delayMs = (options.delaySeconds ?? 0) * 1000;
    const target = delayMs > 0 ? await this.topology.delayQueue(queue, delayMs) : queue;
    await this.publisher.publish({ exchange: '', routingKey: target, destination: queue, mandatory: true }, encode(envelope, { groupId: options.groupId }));
    return { messageId: envelope.messageId };
  }

  async publish(topic: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    checkAttributes(topic, envelope);
    // Not mandatory: a topic nobody subscribed to takes the message and drops it, as SNS does.
    await this.publisher.publish({ exchange: topic, routingKey: '', destination: topic, mandatory: false }, encode(envelope, { groupId: options.groupId }));
    return { messageId: envelope.messageId };
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1 || options.concurrency > 65_535) {
      throw new RangeError(`consume("${queue}"): concurrency must be a whole number from 1 to 65535 (RabbitMQ's prefetch), got ${options.concurrency}`);
    }
    const consumer = new RabbitMqConsumer({
      queue,
      handler,
      concurrency: options.concurrency,
      keeper: this.keeper,
      settlement: new Settlement(queue, this.publisher, this.topology),
      known: () => this.topology.known(queue),
      undecidedRetryDelayMs: this.options.undecidedRetryDelayMs,
      logger: this.logger,
    });
    this.consumers.add(consumer);
    consumer.start();
    return consumer;
  }

  /** Opens a channel and closes it: a round trip that needs a live connection and a broker that answers. */
  async checkHealth(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RabbitMqUnavailableError(this.options.url, `no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.roundTrip(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Consumers not stopped by now are abandoned: their unacknowledged messages go back to their queues. */
  async close(): Promise<void> {
    for (const consumer of this.consumers) consumer.abandon();
    this.consumers.clear();
    await this.publisher.close();
    await this.topology.close();
    await this.keeper.close();
  }

  private async roundTrip(): Promise<void> {
    try {
      const connection = await this.keeper.open();
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      await channel.close();
    } catch (error) {
      throw error instanceof RabbitMqUnavailableError ? error : new RabbitMqUnavailableError(this.options.url, error);
    }
  }
}

/** The broker would take them, but a consumer could not tell them from the library's own headers. */
function checkAttributes(destination: string, envelope: Envelope): void {
  for (const name of Object.keys(envelope.attributes)) {
    if (reservedHeader(name)) throw new MessageRejectedError(destination, envelope.messageId, `attribute "${name}" is reserved by the library or RabbitMQ; rename it`);
  }
}
