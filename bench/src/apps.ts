/*
 * The Nest applications and library consumers the scenarios start, one factory per contender.
 * Queue names change every round, and decorators take them when a class is defined, so each
 * factory defines its classes afresh.
 */
import { Injectable, Module, type DynamicModule, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Message as SqsMessage, SQSClient } from '@aws-sdk/client-sqs';
import { Consumer } from 'sqs-consumer';
import { SqsConsumerEventHandler, SqsMessageHandler, SqsModule } from '@ssut/nestjs-sqs';
import {
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  SqsBackend,
  type MelangeModuleOptions,
  type SqsBackendOptions,
} from '../../lib';
import { CREDENTIALS, REGION } from './aws';
import { OrderPlaced, orderFromJson } from './message';

let total = 0;
/** What every trivial handler does with its message, so the work cannot be optimised away. */
export function sink(order: OrderPlaced): void {
  total += order.total;
}
export type OnOrder = (order: OrderPlaced) => void | Promise<void>;

export async function createApp(module: Type<unknown> | DynamicModule): Promise<INestApplicationContext> {
  // Errors and warnings still show: a contender that fails must not fail silently.
  return NestFactory.createApplicationContext(module, { logger: ['error', 'warn'], abortOnError: false });
}

export interface MelangeAppOptions {
  readonly endpoint: string;
  /** Queue consumed; none for a publish-only app. */
  readonly queue?: string;
  /** @MessageConsumer({ concurrency }); absent: the module default (32). */
  readonly concurrency?: number;
  /** Extra SqsBackend options beyond region, endpoint and credentials. */
  readonly backend?: Partial<SqsBackendOptions>;
  readonly module?: Partial<MelangeModuleOptions>;
  readonly onOrder?: OnOrder;
}

/**
 * nestjs-melange as its README sets it up: `MelangeModule.forRoot({ backends: { default: new
 * SqsBackend({ region, endpoint, credentials }) } })` and a `@MessageConsumer(queue)` provider
 * with one `@OnMessage()` method. `abortPollsOnStop` is always on: it only makes `app.close()`
 * return at once instead of after the last 20 s long poll, and changes nothing while measuring.
 */
export async function startMelangeApp(options: MelangeAppOptions): Promise<{ app: INestApplicationContext; publisher: MelangePublisher }> {
  const providers: Type<unknown>[] = [];
  if (options.queue !== undefined) {
    const onOrder = options.onOrder ?? (() => undefined);
    @Injectable()
    @MessageConsumer(options.concurrency === undefined ? options.queue : { queue: options.queue, concurrency: options.concurrency })
    class BenchConsumer {
      @OnMessage()
      async handle(order: OrderPlaced): Promise<void> {
        sink(order);
        await onOrder(order);
      }
    }
    providers.push(BenchConsumer);
  }
  const backend = new SqsBackend({
    region: REGION,
    endpoint: options.endpoint,
    credentials: CREDENTIALS,
    abortPollsOnStop: true,
    ...options.backend,
  });
  @Module({ imports: [MelangeModule.forRoot({ backends: { default: backend }, ...options.module })], providers })
  class BenchModule {}
  const app = await createApp(BenchModule);
  return { app, publisher: app.get(MelangePublisher) };
}

export interface SsutAppOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  /** How many sqs-consumer instances (SqsModule "consumers") poll the queue. */
  readonly consumers: number;
  /** Batch handler (`@SqsMessageHandler(name, true)`) with batchSize 10; else the defaults (batchSize 1). */
  readonly batch: boolean;
  readonly onOrder: OnOrder;
}

/** @ssut/nestjs-sqs: `SqsModule.register({ consumers })` and a provider with `@SqsMessageHandler` methods. */
export async function startSsutApp(options: SsutAppOptions): Promise<INestApplicationContext> {
  const names = Array.from({ length: options.consumers }, (_, index) => `bench-${index}`);
  @Injectable()
  class BenchHandlers {}
  const { onOrder } = options;
  names.forEach((name, index) => {
    const method = options.batch
      ? async function (messages: SqsMessage[]): Promise<SqsMessage[]> {
          for (const message of messages) {
            const order = orderFromJson(message.Body!);
            sink(order);
            await onOrder(order);
          }
          return messages;
        }
      : async function (message: SqsMessage): Promise<SqsMessage> {
          const order = orderFromJson(message.Body!);
          sink(order);
          await onOrder(order);
          return message;
        };
    define(`handle${index}`, method, SqsMessageHandler(name, options.batch));
    // Without a listener, an 'error' event (e.g. a delete aborted by stop) would crash the process.
    for (const event of ['error', 'processing_error'] as const) {
      define(`${event}${index}`, (error: Error) => reportUnlessStopping('@ssut/nestjs-sqs', error), SqsConsumerEventHandler(name, event));
    }
  });
  function define(key: string, value: unknown, decorator: MethodDecorator): void {
    Object.defineProperty(BenchHandlers.prototype, key, { value, writable: true, configurable: true });
    decorator(BenchHandlers.prototype, key, Object.getOwnPropertyDescriptor(BenchHandlers.prototype, key)!);
  }
  @Module({
    imports: [
      SqsModule.register({
        consumers: names.map((name) => ({
          name,
          queueUrl: options.queueUrl,
          region: REGION,
          sqs: options.client,
          ...(options.batch ? { batchSize: 10 } : {}),
        })),
        globalStopOptions: { abort: true },
      }),
    ],
    providers: [BenchHandlers],
  })
  class BenchModule {}
  stopping = false;
  const app = await createApp(BenchModule);
  const close = app.close.bind(app);
  app.close = async () => {
    stopping = true;
    await close();
  };
  return app;
}

/** Stopping with `abort: true` aborts requests in flight; those errors are expected, others are not. */
let stopping = false;
function reportUnlessStopping(library: string, error: Error): void {
  if (!stopping) console.error(`${library}: ${error.message}`);
}

export interface SqsConsumerOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly consumers: number;
  readonly onOrder: OnOrder;
  /**
   * Read nestjs-melange's wire format, as a service consuming a melange queue with sqs-consumer
   * would: every message attribute and the two system attributes the library asks for, the
   * `{"Message"}` body unwrapped.
   */
  readonly wireFormat?: boolean;
}

/** sqs-consumer at its best: several Consumers, batchSize 10, a batch handler that returns the batch to delete it. */
export function startSqsConsumers(options: SqsConsumerOptions): { stop: () => Promise<void> } {
  const bodyOf = options.wireFormat ? (body: string) => (JSON.parse(body) as { Message: string }).Message : (body: string) => body;
  const consumers = Array.from({ length: options.consumers }, () =>
    Consumer.create({
      queueUrl: options.queueUrl,
      sqs: options.client,
      batchSize: 10,
      ...(options.wireFormat && {
        messageAttributeNames: ['All'],
        messageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      }),
      handleMessageBatch: async (messages) => {
        for (const message of messages) {
          const order = orderFromJson(bodyOf(message.Body!));
          sink(order);
          await options.onOrder(order);
        }
        return messages;
      },
    }),
  );
  stopping = false;
  for (const consumer of consumers) {
    consumer.on('error', (error) => reportUnlessStopping('sqs-consumer', error));
    consumer.on('processing_error', (error) => reportUnlessStopping('sqs-consumer', error));
    consumer.start();
  }
  return {
    stop: async () => {
      stopping = true;
      for (const consumer of consumers) consumer.stop({ abort: true });
    },
  };
}
