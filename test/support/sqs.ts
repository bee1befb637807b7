import { randomUUID } from 'node:crypto';
import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';
import { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import type { SqsBackendOptions } from '../../lib/backends/sqs/sqs-backend.options';
import type { Delivery, DeliveryHandler } from '../../lib/backends/messaging-backend';
import type { Envelope } from '../../lib/messages/envelope';
import { SQS_ENDPOINT_ENV } from './sqs-env';

export const REGION = 'us-east-1';
/** The local server accepts any credentials; static ones keep the SDK from searching the machine for real ones. */
export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export function sqsEndpoint(): string {
  const endpoint = process.env[SQS_ENDPOINT_ENV];
  if (!endpoint) {
    throw new Error(`${SQS_ENDPOINT_ENV} is not set: run the SQS specs through jest.config.js, whose global setup starts the server`);
  }
  return endpoint;
}

/** Queue and topic names unique to one test, so specs can share one server and run in parallel. */
export function uniqueName(prefix: string, fifo = false): string {
  return `${prefix}-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`;
}

/** Records the command name of every request a client sends; the SDK itself is never replaced. */
export class RequestLog {
  readonly commands: string[] = [];

  attach(client: SQSClient | SNSClient, label: string): void {
    const middleware =
      <I, O>(next: (args: I) => Promise<O>, context: { commandName?: string }) =>
      (args: I): Promise<O> => {
        this.commands.push(`${label}:${String(context.commandName).replace(/Command$/, '')}`);
        return next(args);
      };
    const options = { step: 'initialize', name: `melangeRequestLog-${label}` } as const;
    if (client instanceof SQSClient) {
      client.middlewareStack.add(middleware, options);
    } else {
      client.middlewareStack.add(middleware, options);
    }
  }

  count(command: string): number {
    return this.commands.filter((entry) => entry === command || entry.endsWith(`:${command}`)).length;
  }

  clear(): void {
    this.commands.length = 0;
  }
}

export function plainSqs(): SQSClient {
  return new SQSClient({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS });
}

export function plainSns(): SNSClient {
  return new SNSClient({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS });
}

/** Builds backends for one spec file and closes them all afterwards. */
export class BackendFactory {
  private readonly backends: SqsBackend[] = [];
  private readonly clients: Array<SQSClient | SNSClient> = [];

  create(options: SqsBackendOptions = {}): SqsBackend {
    const backend = new SqsBackend({
      region: REGION,
      endpoint: sqsEndpoint(),
      credentials: CREDENTIALS,
      waitTimeSeconds: 1,
      logger: silentLogger,
      ...options,
    });
    this.backends.push(backend);
    return backend;
  }

  /** A backend whose every request is recorded, through clients the test owns. */
  createLogged(log: RequestLog, options: SqsBackendOptions = {}): SqsBackend {
    const sqs = plainSqs();
    const polling = plainSqs();
    const sns = plainSns();
    log.attach(sqs, 'sqs');
    log.attach(polling, 'polling');
    log.attach(sns, 'sns');
    this.clients.push(sqs, polling, sns);
    return this.create({ ...options, clients: { sqs, polling, sns } });
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.backends.splice(0).map((backend) => backend.close()));
    for (const client of this.clients.splice(0)) {
      client.destroy();
    }
  }
}

/** Keeps expected error lines out of the test output; specs that check logs pass their own logger. */
export const silentLogger = {
  log: (): void => undefined,
  error: (): void => undefined,
  warn: (): void => undefined,
  debug: (): void => undefined,
  verbose: (): void => undefined,
};

export function envelope(overrides: Partial<Envelope> = {}): Envelope {
  return {
    payload: JSON.stringify({ orderId: '42' }),
    manifest: 'OrderCreated',
    serializerId: 1,
    messageId: randomUUID(),
    attributes: {},
    ...overrides,
  };
}

export async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
}

export async function queueAttributes(sqs: SQSClient, name: string): Promise<Record<string, string>> {
  const url = await queueUrl(sqs, name);
  return (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
}

/** Receives with plain SDK calls until `count` messages arrived or `timeoutMs` passed. */
export async function receivePlain(sqs: SQSClient, name: string, count: number, timeoutMs = 5000): Promise<Message[]> {
  const url = await queueUrl(sqs, name);
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (messages.length < count && Date.now() < deadline) {
    const response = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, count - messages.length),
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    messages.push(...(response.Messages ?? []));
  }
  return messages;
}

import { waitFor } from './recorder';

export { sleep, waitFor } from './recorder';

/** A handler that records deliveries and acks them, unless `decide` takes another decision. */
export class DeliveryRecorder {
  readonly deliveries: Delivery[] = [];

  constructor(private readonly decide: (delivery: Delivery) => Promise<void> = (delivery) => delivery.ack()) {}

  readonly handler: DeliveryHandler = async (delivery) => {
    this.deliveries.push(delivery);
    await this.decide(delivery);
  };

  async waitForCount(count: number, timeoutMs = 10_000): Promise<Delivery[]> {
    await waitFor(() => this.deliveries.length >= count, timeoutMs, `${count} deliveries (got ${this.deliveries.length})`);
    return this.deliveries;
  }
}
