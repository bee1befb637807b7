import type { Type } from '@nestjs/common';
import type { RetryOptions } from '../melange.options';

const CONSUMER_METADATA = Symbol('melange:consumer');
const HANDLER_METADATA = Symbol('melange:handlers');

export interface MessageConsumerOptions {
  /** The queue this class's `@OnMessage` methods consume. */
  readonly queue: string;
  /** A key of MelangeModule's `backends`; default the default backend. */
  readonly backend?: string;
  /** Messages handled at once on this queue; default MelangeModule's `consumers.concurrency`. */
  readonly concurrency?: number;
  /** Retry policy of this class's handlers; each field defaults to MelangeModule's `consumers.retry`. */
  readonly retry?: RetryOptions;
  /** Default of this class's handlers' `inbox`; itself defaulting to MelangeModule's `consumers.inbox`. */
  readonly inbox?: boolean;
}

export interface HandlerOptions {
  /** Retry policy of this handler; each field defaults to its consumer's, then the module's. */
  readonly retry?: RetryOptions;
  /**
   * Run the handler in a database transaction of the outbox's database that records the message
   * (MelangeModule's `outbox` option): its writes, the messages it publishes with
   * `{ transaction: context.transaction }`, and the record that it ran commit together, so a
   * redelivery never runs it twice. Not for batch handlers.
   */
  readonly inbox?: boolean;
}

export interface BatchHandlerOptions extends HandlerOptions {
  /**
   * Most messages per call. Default 10, what one SQS receive (and a Lambda SQS event's default
   * batch) brings. At most the queue's concurrency: a batch fills only with messages held at once.
   */
  readonly maxSize?: number;
  /**
   * How long the first message of a batch waits for others before the batch runs anyway. Default
   * 50 ms: one receive's messages arrive together, and a trickle should not wait long for company.
   */
  readonly maxWaitMs?: number;
}

export interface HandlerMetadata extends HandlerOptions {
  /** Absent when the type is taken from the method's first parameter. */
  readonly type?: Type<unknown>;
  /** The queue's catch-all: messages no typed handler takes, e.g. raw bodies from foreign producers. */
  readonly fallback?: boolean;
  /** Set by `@OnMessageBatch`: the method takes arrays of messages and of their contexts. */
  readonly batch?: Pick<BatchHandlerOptions, 'maxSize' | 'maxWaitMs'>;
}

/** Marks a provider whose `@OnMessage` methods handle the messages of one queue. */
export function MessageConsumer(queueOrOptions: string | MessageConsumerOptions): ClassDecorator {
  const options = typeof queueOrOptions === 'string' ? { queue: queueOrOptions } : queueOrOptions;
  if (!options.queue) throw new TypeError('@MessageConsumer() needs a queue name, e.g. @MessageConsumer("orders")');
  return (target) => Reflect.defineMetadata(CONSUMER_METADATA, options, target);
}

/**
 * Marks a method as the handler of one message type (and of its subclasses that have no handler
 * of their own). Without an argument the type is the method's first parameter type. The handler
 * receives the message and a `MessageContext`.
 */
export function OnMessage(type?: Type<unknown>, options?: HandlerOptions): MethodDecorator;
export function OnMessage(options: HandlerOptions): MethodDecorator;
export function OnMessage(typeOrOptions?: Type<unknown> | HandlerOptions, options: HandlerOptions = {}): MethodDecorator {
  const metadata: HandlerMetadata =
    typeof typeOrOptions === 'function' ? { ...options, type: typeOrOptions } : { ...(typeOrOptions ?? options) };
  return handlerDecorator(metadata);
}

/**
 * Marks the queue's catch-all handler: it receives, as plain data, every message no `@OnMessage`
 * handler takes, such as raw bodies without a manifest from producers that know nothing of melange.
 */
export function OnAnyMessage(options: HandlerOptions = {}): MethodDecorator {
  return handlerDecorator({ ...options, fallback: true });
}

/**
 * Marks a method as the batch handler of one message type: it receives an array of messages of
 * that type (and its subclasses) from its consumer's queue, gathered up to `maxSize` or for
 * `maxWaitMs`, and the array of their `MessageContext`s in the same order. It returns nothing when
 * every message is handled, or a `BatchResult` naming the ones that failed; throwing fails them all.
 * The type cannot be read from an array parameter, so it is named here.
 */
export function OnMessageBatch(type: Type<unknown>, options: BatchHandlerOptions = {}): MethodDecorator {
  if (typeof type !== 'function') throw new TypeError('@OnMessageBatch() needs the message class, e.g. @OnMessageBatch(OrderPlaced)');
  const { maxSize, maxWaitMs, ...handlerOptions } = options;
  return handlerDecorator({ ...handlerOptions, type, batch: { maxSize, maxWaitMs } });
}

function handlerDecorator(metadata: HandlerMetadata): MethodDecorator {
  return (target, propertyKey) => {
    // Kept on the prototype under the method's name, not on the function: a decorator applied
    // later may replace the function, and the dispatcher looks the method up at call time.
    const existing = handlerMetadataOf(target, propertyKey);
    Reflect.defineMetadata(HANDLER_METADATA, [...existing, metadata], target, propertyKey);
  };
}

export function consumerMetadataOf(type: Type<unknown>): MessageConsumerOptions | undefined {
  return Reflect.getMetadata(CONSUMER_METADATA, type) as MessageConsumerOptions | undefined;
}

export function handlerMetadataOf(prototype: object, methodName: string | symbol): readonly HandlerMetadata[] {
  return (Reflect.getMetadata(HANDLER_METADATA, prototype, methodName) as HandlerMetadata[] | undefined) ?? [];
}
