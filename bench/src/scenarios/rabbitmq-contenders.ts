/*
 * The RabbitMQ contenders (scenario `rabbitmq`, src/scenarios/rabbitmq.ts): raw amqplib, nestjs-melange
 * with its RabbitMqBackend and @golevelup/nestjs-rabbitmq, each consuming one queue and publishing
 * to another from one connection or application, as a service would. Queue names change every
 * round and decorators take them when a class is defined, so each starter defines its classes afresh.
 */
import { Injectable, Module } from '@nestjs/common';
import { AmqpConnection, RabbitMQModule, RabbitSubscribe } from '@golevelup/nestjs-rabbitmq';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage, manifestOf } from '../../../lib';
import { RabbitMqBackend } from '../../../lib/backends/rabbitmq';
import { encode, type Encoded } from '../../../lib/backends/rabbitmq/amqp-wire-format';
import { JSON_SERIALIZER_ID } from '../../../lib/serialization/json.serializer';
import { createApp, sink, type OnOrder } from '../apps';
import { OrderPlaced, makeOrder, orderFromJson } from '../message';

export const RABBITMQ_URL = process.env.MELANGE_BENCH_RABBITMQ_URL ?? process.env.MELANGE_TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
/** nestjs-melange's default concurrency, which its RabbitMQ backend uses as the consumer channel's prefetch. */
export const MELANGE_DEFAULT_PREFETCH = 32;
/** Callers publishing at once, as in scenario 2a; the raw loops keep as many messages in flight. */
export const RABBIT_PUBLISH_CALLERS = 100;

const MANIFEST = manifestOf(OrderPlaced);

/** `raw`: the order's JSON as the body, persistent, nothing else. `melange`: the library's wire format. */
export type RabbitFormat = 'raw' | 'melange';

/**
 * One message in `format`. The library's wire format is built with its own `encode`, so the two
 * cannot drift apart: body = the payload, headers manifest and serializer_id, messageId, type, persistent.
 */
export function encodeOrder(index: number, format: RabbitFormat): Encoded {
  const payload = JSON.stringify(makeOrder(index));
  if (format === 'raw') return { content: Buffer.from(payload, 'utf8'), options: { persistent: true } };
  return encode({ payload, manifest: MANIFEST, serializerId: JSON_SERIALIZER_ID, messageId: randomUUID(), attributes: {} });
}

/** A contender consuming `queue` (already filled) and ready to publish; `publish` is the timed part. */
export interface RabbitApp {
  publish(queue: string, count: number): Promise<void>;
  close(): Promise<void>;
}

export type RabbitStarter = (queue: string, onOrder: OnOrder) => Promise<RabbitApp>;

/** Runs `callers` loops that together make `count` calls, each awaiting its own before the next. */
export async function concurrently(callers: number, count: number, call: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

/**
 * Publishes on a confirm channel and resolves on the broker's confirm; waits for the socket to
 * drain when a write overflows its buffer, as the library's ConfirmPublisher does.
 */
export class ConfirmedSender {
  private drained: Promise<unknown> = Promise.resolve();

  constructor(private readonly channel: ConfirmChannel) {}

  async send(queue: string, message: Encoded, options: Options.Publish = message.options): Promise<void> {
    await this.drained;
    await new Promise<void>((resolve, reject) => {
      const written = this.channel.sendToQueue(queue, message.content, options, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(`not confirmed: ${String(error)}`)) : resolve(),
      );
      if (!written) this.drained = once(this.channel, 'drain');
    });
  }
}

/**
 * Raw amqplib doing what the library does: a channel with a prefetch of 32 whose handler builds the
 * order and acknowledges each message after its handler; a confirm channel with 100 callers, each
 * awaiting the confirm of its message. `wire`: the messages in the library's wire format (the
 * consumer reads the manifest header too; the publisher sets the headers, messageId, type and
 * `mandatory`, as `send` does). `transient`: bare bodies published without `persistent`, as
 * golevelup publishes by default (the broker confirms them without writing them to disk).
 */
export function rawStarter(variant: 'bare' | 'wire' | 'transient'): RabbitStarter {
  const wire = variant === 'wire';
  return async (queue, onOrder) => {
    const connection = await connect(RABBITMQ_URL);
    try {
      const consumer = await connection.createChannel();
      await consumer.prefetch(MELANGE_DEFAULT_PREFETCH);
      const handle = async (message: ConsumeMessage): Promise<void> => {
        if (wire && message.properties.headers?.manifest !== MANIFEST) throw new Error(`unexpected manifest ${String(message.properties.headers?.manifest)}`);
        const order = orderFromJson(message.content.toString('utf8'));
        sink(order);
        await onOrder(order);
      };
      await consumer.consume(queue, (message) => {
        if (!message) return;
        handle(message)
          .then(
            () => consumer.ack(message),
            (error: unknown) => (console.error(error), consumer.nack(message, false, true)),
          )
          // The channel closed first (a run stopped at its cap): the broker requeues what was not acknowledged.
          .catch(() => undefined);
      });
      const sender = new ConfirmedSender(await connection.createConfirmChannel());
      return {
        publish: (target, count) =>
          concurrently(RABBIT_PUBLISH_CALLERS, count, (index) => {
            const message = encodeOrder(index, wire ? 'melange' : 'raw');
            if (variant === 'transient') return sender.send(target, message, {});
            return sender.send(target, message, wire ? { ...message.options, mandatory: true } : message.options);
          }),
        close: () => connection.close(),
      };
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  };
}

/** nestjs-melange as its README sets up RabbitMQ: forRoot with a RabbitMqBackend, @MessageConsumer(queue), publish(). */
export const melangeStarter: RabbitStarter = async (queue, onOrder) => {
  @Injectable()
  @MessageConsumer(queue)
  class BenchConsumer {
    @OnMessage()
    async handle(order: OrderPlaced): Promise<void> {
      sink(order);
      await onOrder(order);
    }
  }
  @Module({ imports: [MelangeModule.forRoot({ backends: { default: new RabbitMqBackend({ url: RABBITMQ_URL }) } })], providers: [BenchConsumer] })
  class BenchModule {}
  const app = await createApp(BenchModule);
  const publisher = app.get(MelangePublisher);
  return {
    publish: (target, count) => concurrently(RABBIT_PUBLISH_CALLERS, count, (index) => publisher.publish(makeOrder(index), { queue: target })),
    close: () => app.close(),
  };
};

/**
 * @golevelup/nestjs-rabbitmq with its defaults: `RabbitMQModule.forRoot({ uri })` and a provider with
 * one `@RabbitSubscribe({ queue })` method, which gets the body already parsed (its default
 * deserializer, JSON.parse) and is acknowledged when it returns; `AmqpConnection.publish` to the
 * default exchange, the queue as routing key, its promise resolving on the broker's confirm.
 */
export const golevelupStarter: RabbitStarter = async (queue, onOrder) => {
  @Injectable()
  class BenchHandlers {
    @RabbitSubscribe({ queue })
    async handle(message: object): Promise<void> {
      const order = Object.assign(new OrderPlaced(), message);
      sink(order);
      await onOrder(order);
    }
  }
  @Module({ imports: [RabbitMQModule.forRoot({ uri: RABBITMQ_URL })], providers: [BenchHandlers] })
  class BenchModule {}
  const app = await createApp(BenchModule);
  const amqp = app.get(AmqpConnection);
  return {
    publish: (target, count) => concurrently(RABBIT_PUBLISH_CALLERS, count, (index) => amqp.publish('', target, makeOrder(index))),
    close: () => app.close(),
  };
};

/**
 * Queues for the runs, on a connection of its own so it never shares a socket with a contender:
 * fresh durable queues, filled with confirmed publishes, counted and deleted.
 */
export class RabbitAdmin {
  private connection?: Promise<ChannelModel>;
  private channel?: Promise<{ plain: Channel; confirm: ConfirmChannel }>;

  private open(): Promise<{ plain: Channel; confirm: ConfirmChannel }> {
    this.connection ??= connect(RABBITMQ_URL).catch((error: unknown) => {
      this.connection = undefined;
      throw new Error(
        `RabbitMQ does not answer at ${RABBITMQ_URL.replace(/\/\/[^@]*@/, '//')} (${error instanceof Error ? error.message : String(error)}); ` +
          'the rabbitmq scenario needs it. Start it with "rabbitmq-server -detached" (user guest/guest), or set MELANGE_BENCH_RABBITMQ_URL.',
      );
    });
    this.channel ??= this.connection.then(async (connection) => ({ plain: await connection.createChannel(), confirm: await connection.createConfirmChannel() }));
    return this.channel;
  }

  async createQueue(name: string): Promise<void> {
    const { plain } = await this.open();
    await plain.assertQueue(name, { durable: true });
  }

  /** Ready messages: after a consumer's channel closed, its unacknowledged ones are counted again. */
  async remaining(name: string): Promise<number> {
    const { plain } = await this.open();
    return (await plain.checkQueue(name)).messageCount;
  }

  async fill(name: string, count: number, format: RabbitFormat): Promise<void> {
    const { confirm } = await this.open();
    const sender = new ConfirmedSender(confirm);
    await concurrently(RABBIT_PUBLISH_CALLERS, count, (index) => sender.send(name, encodeOrder(index, format)));
  }

  async deleteQueue(name: string): Promise<void> {
    const { plain } = await this.open();
    await plain.deleteQueue(name);
  }

  async close(): Promise<void> {
    const connection = await this.connection?.catch(() => undefined);
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }
}
