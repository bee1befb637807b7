import 'reflect-metadata';
import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InMemoryBackend,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  Message,
  SqsBackend,
  type ConsumerDefaults,
  type MessagingBackend,
  type PublishOptions,
  type QueueSpec,
} from '../../lib';
import { EventLog } from '../support/recorder';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

/** Each batch spec runs on both: the in-memory broker and the local SQS server. */
export const BACKENDS = ['in-memory', 'sqs'] as const;
export type BackendKind = (typeof BACKENDS)[number];

@Message('batch.item')
export class Item {
  id!: number;
  group?: string;
  label(): string {
    return `item ${this.id}`;
  }
}

export function items(count: number, from = 0): Item[] {
  return Array.from({ length: count }, (_, index) => Object.assign(new Item(), { id: from + index }));
}

export interface ConsumerAppOptions {
  readonly providers: Type<unknown>[];
  readonly consumers?: ConsumerDefaults;
  readonly logger?: LoggerService | false;
}

/**
 * One queue (and its dead-letter queue) on one backend, a publisher app that never consumes, and
 * consumer apps started when a spec wants them: messages published before `start()` wait on the
 * queue, so a spec decides what a consumer finds when it starts.
 */
export class BatchHarness {
  readonly queue: string;
  readonly deadLetterQueue: string;
  private readonly apps: INestApplication[] = [];
  private publisherApp?: INestApplication;
  private readonly inMemory = new InMemoryBackend();

  constructor(
    readonly kind: BackendKind,
    prefix: string,
    private readonly fifo = false,
  ) {
    // SQS specs share one server: names unique to the test. FIFO names end in .fifo there.
    this.queue = uniqueName(prefix, fifo);
    this.deadLetterQueue = uniqueName(`${prefix}-dlq`, fifo);
  }

  private backend(): MessagingBackend {
    if (this.kind === 'in-memory') return this.inMemory;
    return new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger });
  }

  private queues(): QueueSpec[] {
    return [
      { name: this.queue, fifo: this.fifo, deadLetterQueue: this.deadLetterQueue, maxReceiveCount: 10 },
      { name: this.deadLetterQueue, fifo: this.fifo },
    ];
  }

  async publish(messages: readonly object[], options: (message: object) => PublishOptions = () => ({})): Promise<string[]> {
    if (!this.publisherApp) {
      const moduleRef = await Test.createTestingModule({
        imports: [MelangeModule.forRoot({ backends: { default: this.backend() }, infrastructure: { queues: this.queues() }, startConsumers: false })],
      }).compile();
      this.publisherApp = await moduleRef.createNestApplication({ logger: false }).init();
      this.apps.push(this.publisherApp);
    }
    const publisher = this.publisherApp.get(MelangePublisher);
    // One after the other: FIFO order is the order of the sends.
    const ids: string[] = [];
    for (const message of messages) ids.push((await publisher.publish(message, { queue: this.queue }, options(message))).messageId);
    return ids;
  }

  /** Starts an app consuming the queue; its EventLog sees every event from the start. */
  async start(options: ConsumerAppOptions): Promise<{ app: INestApplication; events: EventLog }> {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: this.backend() },
          infrastructure: { queues: this.queues() },
          consumers: { retry: { initialDelayMs: 0 }, ...options.consumers },
        }),
      ],
      providers: options.providers,
    }).compile();
    const app = moduleRef.createNestApplication({ logger: options.logger ?? false });
    const events = new EventLog(app.get(MelangeEvents));
    this.apps.push(app);
    await app.init();
    return { app, events };
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.splice(0).map((app) => app.close()));
  }
}
