import { Logger, type LoggerService } from '@nestjs/common';
import { ListQueuesCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Envelope } from '../../messages/envelope';
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
import {
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
import { SqsDirectory } from './sqs-directory';
import { SqsInfrastructure } from './sqs-infrastructure';
import { SqsSender } from './sqs-sender';
import type { DecodedMessage } from './sqs-wire-format';

const CONNECT_TIMEOUT_MS = 3_000;
const REQUEST_SOCKET_TIMEOUT_MS = 10_000;
const POLL_SOCKET_MARGIN_SECONDS = 5;
/** Keep-alive agent options (the SDK adds keepAlive) with no socket limit: see the polling client. */
const UNBOUNDED_AGENT = { maxSockets: Infinity };


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
  private readonly sender: SqsSender;
  private readonly consumers = new Set<SqsConsumer>();
  /** Queue counts, dead-letter peek and redrive, purge and declaration plans, for `MelangeAdmin`. */
  readonly admin: BackendAdmin;
  /** Offloaded payloads in S3, when the payloadOffloading option is given. */
  private readonly payloadStore: S3PayloadStore | undefined;
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
    const outgoing = new OutgoingPayloads(this.settings.limits, offloading, this.payloadStore);
    this.sender = new SqsSender({ sqs: this.sqs, sns: this.sns, directory: this.directory, settings: this.settings, outgoing, logger: this.logger });
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

  send(queue: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    return this.sender.send(queue, envelope, options);
  }

  publish(topic: string, envelope: Envelope, options: SendOptions = {}): Promise<SendResult> {
    return this.sender.publish(topic, envelope, options);
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
    await this.sender.drain();
    await this.payloadStore?.close();
    for (const client of this.ownClients.splice(0)) {
      client.destroy();
    }
  }
}
