// A small app for the admin specs: one consumer on its own queue (with a dead-letter queue) whose
// handler has a "bug" a spec can switch on and off, on the local SQS server.
import 'reflect-metadata';
import { Injectable, type INestApplication, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeAdmin, MelangeModule, MelangePublisher, Message, MessageConsumer, NonRetryableError, OnMessage, SqsBackend } from '../../lib';
import { CREDENTIALS, REGION, sqsEndpoint, uniqueName } from '../support/sqs';

@Message('admin.work-item')
export class WorkItem {
  id!: string;
}

export function workItem(id: string): WorkItem {
  return Object.assign(new WorkItem(), { id });
}

export const BUG_REASON = 'the work item handler has a bug';

/** What the consumer did, and the switches a spec turns. */
export class ConsumerBehaviour {
  buggy = true;
  /** While set, handlers wait for it: messages stay in flight. */
  gate: Promise<void> | undefined;
  readonly handled: string[] = [];
}

export interface AdminApp {
  readonly app: INestApplication;
  readonly admin: MelangeAdmin;
  readonly publisher: MelangePublisher;
  readonly behaviour: ConsumerBehaviour;
  readonly queue: string;
  readonly deadLetterQueue: string;
  close(): Promise<void>;
}

function consumerFor(queue: string, behaviour: ConsumerBehaviour, concurrency: number): Type<unknown> {
  @Injectable()
  @MessageConsumer({ queue, concurrency })
  class WorkConsumer {
    @OnMessage(WorkItem, { retry: { maxAttempts: 1 } })
    async work(item: WorkItem): Promise<void> {
      if (behaviour.gate) await behaviour.gate;
      // Non-retryable: dead-lettered at the first failure, so specs need not wait out backoffs.
      if (behaviour.buggy) throw new NonRetryableError(BUG_REASON);
      behaviour.handled.push(item.id);
    }
  }
  return WorkConsumer;
}

export async function startAdminApp(options: { prefix: string; concurrency?: number; startConsumers?: boolean } = { prefix: 'admin' }): Promise<AdminApp> {
  const queue = uniqueName(options.prefix);
  const deadLetterQueue = `${queue}-dlq`;
  const behaviour = new ConsumerBehaviour();
  const moduleRef = await Test.createTestingModule({
    imports: [
      MelangeModule.forRoot({
        backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1 }) },
        infrastructure: { queues: [{ name: queue, deadLetterQueue, maxReceiveCount: 5, visibilityTimeout: 30 }] },
        startConsumers: options.startConsumers ?? true,
      }),
    ],
    providers: [consumerFor(queue, behaviour, options.concurrency ?? 32)],
  }).compile();
  const app = await moduleRef.createNestApplication({ logger: false }).init();
  return {
    app,
    admin: app.get(MelangeAdmin),
    publisher: app.get(MelangePublisher),
    behaviour,
    queue,
    deadLetterQueue,
    close: () => app.close(),
  };
}

/** Publishes `count` work items with ids `${prefix}-0`… in batches the backend combines. */
export async function publishItems(publisher: MelangePublisher, queue: string, ids: readonly string[]): Promise<void> {
  for (let start = 0; start < ids.length; start += 100) {
    await publisher.publishBatch(ids.slice(start, start + 100).map(workItem), { queue });
  }
}

/** Reads `read()` until `done` holds for its value, every 100 ms; fails after `timeoutMs` with the last value. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
