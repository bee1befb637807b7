import { Logger, type LoggerService } from '@nestjs/common';
import {
  ListQueuesCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Envelope } from '../../messages/envelope';
import { MessageRejectedError, SendFailedError, describeThrown, toError } from '../../errors';
import { logSafe } from '../../log-safe';
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
import { RequestBatcher, type EntryOutcome } from './request-batcher';
import {
  SQS_MAX_BATCH_ENTRIES,
  resolveSqsSettings,
  type ResolvedSqsSettings,
  type SqsBackendOptions,
} from './sqs-backend.options';
import { SqsConsumer } from './consumer/sqs-consumer';
import type { BackendAdmin } from '../backend-admin';
import { SqsBackendAdmin } from './admin/sqs-admin';
import { IncomingPayloads, type IncomingPayload } from './large-payload/incoming-payloads';
import type { PayloadPointer } from './large-payload/payload-pointer';
import { OutgoingPayloads } from './large-payload/outgoing-payloads';
import { S3PayloadStore } from './large-payload/s3-payload-store';
import { SqsDirectory, queueNameOf, type QueueInfo, type TopicInfo } from './sqs-directory';
import { SqsInfrastructure } from './sqs-infrastructure';
import { encodeForQueue, encodeForTopic, type DecodedMessage, type WireAttributes } from './sqs-wire-format';

const CONNECT_TIMEOUT_MS = 3_000;
const REQUEST_SOCKET_TIMEOUT_MS = 10_000;
const POLL_SOCKET_MARGIN_SECONDS = 5;
/** Keep-alive agent options (the SDK adds keepAlive) with no socket limit: see the polling client. */
const UNBOUNDED_AGENT = { maxSockets: Infinity };

/** One message waiting for its batch request. */
interface OutgoingEntry {
  readonly envelope: Envelope;
  /** Queue body or SNS message. */
  readonly body: string;
  readonly attributes: WireAttributes;
  readonly groupId?: string;
  readonly deduplicationId?: string;
  readonly delaySeconds?: number;
}

/**
 * Amazon SQS + SNS behind the MessagingBackend contract, in Python melange's wire format.
 * Works against AWS, LocalStack, ElasticMQ or fauxqs by configuration alone.
 */
export class SqsBackend implements MessagingBackend {
  /** OpenTelemetry's `messaging.system` value for SQS; SNS publishes are traced under the same backend. */
  readonly system = 'aws_sqs';
  private readonly settings: ResolvedSqsSettings;
  private readonly logger: LoggerService;
  private readonly sqs: SQSClient;
  private readonly polling: SQSClient;
  private readonly sns: SNSClient;
  /** Clients this backend built, and so must destroy; the application's own are left alone. */
  private readonly ownClients: Array<SQSClient | SNSClient> = [];
  private readonly directory: SqsDirectory;
  private readonly infrastructure: SqsInfrastructure;
  private readonly batchers = new Map<string, RequestBatcher<OutgoingEntry, SendResult>>();
  private readonly consumers = new Set<SqsConsumer>();
  /** Queue counts, dead-letter peek and redrive, purge and declaration plans, for `MelangeAdmin`. */
  readonly admin: BackendAdmin;
  /** Offloaded payloads in S3, when the payloadOffloading option is given. */
  private readonly payloadStore: S3PayloadStore | undefined;
  private readonly outgoing: OutgoingPayloads;
  private readonly incoming: IncomingPayloads;

  constructor(options: SqsBackendOptions = {}) {
    this.settings = resolveSqsSettings(options);
    this.logger = options.logger ?? new Logger('SqsBackend');
    const base: SQSClientConfig = {
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
    };
    const own = <T extends SQSClient | SNSClient>(client: T): T => {
      this.ownClients.push(client);
      return client;
    };
    // The SDK's default socket timeout is 15 minutes: on a network that drops packets silently, a
    // request would hang that long, and the consumer with it. A long poll may be quiet for its
    // wait time, so its client allows that plus a margin.
    const timeouts = (socketTimeout: number) => ({ requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout } });
    // Separate clients mean separate connection pools: a send never waits for a socket that a
    // 20-second long poll is holding.
    this.sqs = options.clients?.sqs ?? own(new SQSClient({ ...base, ...timeouts(REQUEST_SOCKET_TIMEOUT_MS) }));
    // Each poller holds a socket for its whole long poll, and the SDK's agent allows 50: with more
    // pollers than that (20 queues at the default concurrency make 60), a poll would wait for a
    // socket until its connection timeout failed it. The pollers bound the sockets instead.
    const pollTimeouts = timeouts((this.settings.waitTimeSeconds + POLL_SOCKET_MARGIN_SECONDS) * 1000);
    this.polling =
      options.clients?.polling ??
      own(new SQSClient({ ...base, requestHandler: { ...pollTimeouts.requestHandler, httpAgent: UNBOUNDED_AGENT, httpsAgent: UNBOUNDED_AGENT } }));
    this.sns =
      options.clients?.sns ??
      own(new SNSClient({ ...base, endpoint: options.snsEndpoint ?? options.endpoint, ...timeouts(REQUEST_SOCKET_TIMEOUT_MS) }));
    this.directory = new SqsDirectory(this.sqs, this.sns);
    this.infrastructure = new SqsInfrastructure(this.sqs, this.sns, this.directory, this.settings.maxReceiveCount);
    this.admin = new SqsBackendAdmin(this.sqs, this.sns, this.directory, this.infrastructure, this.settings.maxReceiveCount);
    const offloading = this.settings.payloadOffloading;
    // S3 is its own service: only a custom endpoint (a local server, LocalStack) is shared, and
    // path-style addressing is what such servers answer on an IP address or localhost.
    this.payloadStore = offloading
      ? new S3PayloadStore(
          {
            region: options.region,
            endpoint: options.endpoint,
            credentials: options.credentials,
            forcePathStyle: options.endpoint !== undefined,
            ...timeouts(REQUEST_SOCKET_TIMEOUT_MS),
          },
          options.payloadOffloading?.client,
        )
      : undefined;
    this.outgoing = new OutgoingPayloads(this.settings.limits, offloading, this.payloadStore);
    this.incoming = new IncomingPayloads(offloading, this.payloadStore, this.logger);
  }

  /**
   * Creates the payload bucket unless it exists, when payloadOffloading asks for it
   * (`declareBucket`); `MelangeInfrastructure.declare()` calls it.
   */
  async declarePayloadBucket(): Promise<void> {
    const offloading = this.settings.payloadOffloading;
    if (offloading?.declareBucket && this.payloadStore) await this.payloadStore.declareBucket(offloading.bucket);
  }

  declareQueue(spec: QueueSpec): Promise<void> {
    return this.infrastructure.declareQueue(spec);
  }

  declareTopic(spec: TopicSpec): Promise<void> {
    return this.infrastructure.declareTopic(spec);
  }

  declareSubscription(spec: SubscriptionSpec): Promise<void> {
    return this.infrastructure.declareSubscription(spec);
  }

  async send(queue: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    const encoded = encodeForQueue(envelope);
    const fifo = queueNameOf(queue).endsWith('.fifo');
    // Everything that can be checked without the broker is checked before any request.
    const outgoing = this.outgoing.plan(queue, 'queue', envelope, encoded.body, encoded.attributes);
    this.assertOrdering(queue, envelope, fifo, options);
    if (options.delaySeconds !== undefined) {
      if (fifo) {
        throw new MessageRejectedError(
          queue,
          envelope.messageId,
          'FIFO queues have no per-message delay; set delaySeconds on the queue instead',
        );
      }
      if (!Number.isInteger(options.delaySeconds) || options.delaySeconds < 0 || options.delaySeconds > 900) {
        throw new MessageRejectedError(queue, envelope.messageId, `delaySeconds must be an integer from 0 to 900, got ${options.delaySeconds}`);
      }
    }
    const info = await this.directory.queue(queue);
    if (outgoing.offload !== undefined) await this.outgoing.store(queue, envelope, outgoing);
    const entry: OutgoingEntry = {
      envelope,
      body: outgoing.body,
      attributes: outgoing.attributes,
      groupId: options.groupId,
      deduplicationId: this.deduplicationId(info, envelope, options),
      delaySeconds: options.delaySeconds,
    };
    const batcher = this.batchers.get(info.url) ?? this.newBatcher(info.url, info.fifo, this.settings.limits.queue, (entries) => this.sendBatch(queue, info, entries));
    return batcher.add(entry, outgoing.size);
  }

  async publish(topic: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    const encoded = encodeForTopic(envelope);
    const fifo = topic.endsWith('.fifo');
    const outgoing = this.outgoing.plan(topic, 'topic', envelope, encoded.message, encoded.attributes);
    this.assertOrdering(topic, envelope, fifo, options);
    if (options.delaySeconds !== undefined) {
      throw new MessageRejectedError(
        topic,
        envelope.messageId,
        'SNS topics have no per-message delay; set delaySeconds on the subscribed queues instead',
      );
    }
    const info = await this.directory.topic(topic);
    if (outgoing.offload !== undefined) await this.outgoing.store(topic, envelope, outgoing);
    const entry: OutgoingEntry = {
      envelope,
      body: outgoing.body,
      attributes: outgoing.attributes,
      groupId: options.groupId,
      deduplicationId: this.deduplicationId(info, envelope, options),
    };
    const batcher = this.batchers.get(info.arn) ?? this.newBatcher(info.arn, info.fifo, this.settings.limits.topic, (entries) => this.publishBatch(topic, info, entries));
    return batcher.add(entry, outgoing.size);
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    if (!Number.isInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`consume("${queue}"): concurrency must be a positive integer, got ${options.concurrency}`);
    }
    const consumer = new SqsConsumer({
      queue,
      handler,
      concurrency: options.concurrency,
      pollingClient: this.polling,
      client: this.sqs,
      directory: this.directory,
      settings: this.settings,
      payloads: this.incoming,
      logger: this.logger,
    });
    this.consumers.add(consumer);
    consumer.start();
    return {
      stop: async () => {
        await consumer.stop();
        this.consumers.delete(consumer);
      },
      status: () => consumer.status(),
      pause: () => consumer.pause(),
      resume: () => consumer.resume(),
    };
  }

  /**
   * One cheap request (ListQueues, one result) on the sending client, given 5 s. A refusal for
   * lack of permission still proves SQS answers, so it counts as reachable: least-privilege roles
   * rarely have sqs:ListQueues.
   */
  async checkHealth(): Promise<void> {
    try {
      await this.sqs.send(new ListQueuesCommand({ MaxResults: 1 }), { abortSignal: AbortSignal.timeout(5000) });
    } catch (error) {
      if (error instanceof Error && /AccessDenied|NotAuthorized|UnauthorizedOperation/.test(error.name)) return;
      throw error;
    }
  }

  /**
   * Consumers still here were not stopped in time (the module's shutdown timeout ran out): they are
   * abandoned rather than awaited, so a handler that never returns cannot hold the process. Their
   * messages come back after the visibility timeout.
   */
  /**
   * Reads the S3 object an extended-client pointer names, with this backend's offloading settings
   * and S3 client, for hosts that receive messages themselves (the Lambda entry point).
   */
  readOffloadedPayload(queue: string, decoded: DecodedMessage, pointer: PayloadPointer, stop: AbortSignal): Promise<IncomingPayload> {
    return this.incoming.resolve(queue, decoded, pointer, stop);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.abandon()));
    this.consumers.clear();
    await Promise.all([...this.batchers.values()].map((batcher) => batcher.drain()));
    await this.payloadStore?.close();
    for (const client of this.ownClients.splice(0)) {
      client.destroy();
    }
  }

  private assertOrdering(destination: string, envelope: Envelope, fifo: boolean, options: SendOptions): void {
    if (fifo && !options.groupId) {
      throw new MessageRejectedError(
        destination,
        envelope.messageId,
        'FIFO destinations need a groupId: messages of one group are delivered in order',
      );
    }
    if (!fifo && options.deduplicationId !== undefined) {
      throw new MessageRejectedError(destination, envelope.messageId, 'deduplicationId only applies to FIFO destinations');
    }
  }

  /**
   * The caller's id wins. Without one, a FIFO destination that does not de-duplicate by content gets
   * the envelope's stable message id, so re-sending the same envelope is dropped as a duplicate
   * (Python melange used a random id, which de-duplicates nothing).
   */
  private deduplicationId(info: QueueInfo | TopicInfo, envelope: Envelope, options: SendOptions): string | undefined {
    if (!info.fifo) {
      return undefined;
    }
    return options.deduplicationId ?? (info.contentBasedDeduplication ? undefined : envelope.messageId);
  }

  /**
   * Batches to one destination, keyed by its URL or ARN (they cannot collide); `maxBytes` is its
   * kind's limit, which SQS and SNS also set for a whole batch request.
   */
  private newBatcher(
    key: string,
    fifo: boolean,
    maxBytes: number,
    send: (entries: readonly OutgoingEntry[]) => Promise<ReadonlyArray<EntryOutcome<SendResult>>>,
  ): RequestBatcher<OutgoingEntry, SendResult> {
    const batcher = new RequestBatcher<OutgoingEntry, SendResult>({
      maxEntries: SQS_MAX_BATCH_ENTRIES,
      maxBytes,
      windowMs: this.settings.batchWindowMs,
      serial: fifo,
      send,
    });
    this.batchers.set(key, batcher);
    return batcher;
  }

  private async sendBatch(
    queue: string,
    info: QueueInfo,
    entries: readonly OutgoingEntry[],
  ): Promise<ReadonlyArray<EntryOutcome<SendResult>>> {
    try {
      if (entries.length === 1) {
        const [entry] = entries as [OutgoingEntry];
        const response = await this.sqs.send(
          new SendMessageCommand({
            QueueUrl: info.url,
            MessageBody: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
            DelaySeconds: entry.delaySeconds,
          }),
        );
        return [{ ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: response.MessageId } }];
      }
      const response = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: info.url,
          Entries: entries.map((entry, index) => ({
            Id: String(index),
            MessageBody: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
            DelaySeconds: entry.delaySeconds,
          })),
        }),
      );
      return this.outcomes(queue, entries, response.Successful, response.Failed);
    } catch (error) {
      return this.failAll(queue, entries, error);
    }
  }

  private async publishBatch(
    topic: string,
    info: TopicInfo,
    entries: readonly OutgoingEntry[],
  ): Promise<ReadonlyArray<EntryOutcome<SendResult>>> {
    try {
      if (entries.length === 1) {
        const [entry] = entries as [OutgoingEntry];
        const response = await this.sns.send(
          new PublishCommand({
            TopicArn: info.arn,
            Message: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          }),
        );
        return [{ ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: response.MessageId } }];
      }
      const response = await this.sns.send(
        new PublishBatchCommand({
          TopicArn: info.arn,
          PublishBatchRequestEntries: entries.map((entry, index) => ({
            Id: String(index),
            Message: entry.body,
            MessageAttributes: entry.attributes,
            MessageGroupId: entry.groupId,
            MessageDeduplicationId: entry.deduplicationId,
          })),
        }),
      );
      return this.outcomes(topic, entries, response.Successful, response.Failed);
    } catch (error) {
      return this.failAll(topic, entries, error);
    }
  }

  private outcomes(
    destination: string,
    entries: readonly OutgoingEntry[],
    successful: ReadonlyArray<{ Id?: string; MessageId?: string }> | undefined,
    failed: ReadonlyArray<{ Id?: string; Code?: string; Message?: string }> | undefined,
  ): ReadonlyArray<EntryOutcome<SendResult>> {
    const successById = new Map((successful ?? []).map((entry) => [entry.Id, entry]));
    const failureById = new Map((failed ?? []).map((entry) => [entry.Id, entry]));
    return entries.map((entry, index): EntryOutcome<SendResult> => {
      const id = String(index);
      const success = successById.get(id);
      if (success) {
        return { ok: true, value: { messageId: entry.envelope.messageId, brokerMessageId: success.MessageId } };
      }
      const failure = failureById.get(id);
      const error = new SendFailedError(
        destination,
        entry.envelope.messageId,
        failure?.Code ?? 'MissingResult',
        failure?.Message ?? 'the broker reported neither success nor failure for this entry',
      );
      this.logger.error(`destination=${destination} message=${logSafe(entry.envelope.messageId)}: ${error.message}`);
      return { ok: false, error };
    });
  }

  private failAll(
    destination: string,
    entries: readonly OutgoingEntry[],
    error: unknown,
  ): ReadonlyArray<EntryOutcome<SendResult>> {
    const code = toError(error).name;
    const detail = describeThrown(error);
    this.logger.error(
      `destination=${destination}: a request carrying ${entries.length} message(s) failed: ${describeThrown(error, { withName: true })}`);
    return entries.map((entry) => ({
      ok: false,
      error: new SendFailedError(destination, entry.envelope.messageId, code, detail),
    }));
  }
}
