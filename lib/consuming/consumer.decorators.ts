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
}

export interface HandlerOptions {
  /** Retry policy of this handler; each field defaults to its consumer's, then the module's. */
  readonly retry?: RetryOptions;
}

export interface HandlerMetadata extends HandlerOptions {
  /** Absent when the type is taken from the method's first parameter. */
  readonly type?: Type<unknown>;
  /** The queue's catch-all: messages no typed handler takes, e.g. raw bodies from foreign producers. */
  readonly fallback?: boolean;
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
