import type { Type } from '@nestjs/common';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { DuplicateHandlerError, UnroutableMessageError } from '../errors';
import type { MessageTypeRegistry } from '../messages/message-type-registry';
import { manifestOf } from '../messages/message.decorator';
import type { RetryPolicy } from './retry-policy';

/** How a batch handler gathers its messages, with defaults applied. */
export interface BatchSettings {
  readonly maxSize: number;
  readonly maxWaitMs: number;
}

/** One `@OnMessage` (or `@OnAnyMessage`, or `@OnMessageBatch`) method of one provider. */
export interface HandlerBinding {
  /** Absent for the queue's catch-all handler. */
  readonly messageType?: Type<unknown>;
  readonly provider: InstanceWrapper;
  readonly methodName: string;
  /** False for request-scoped or transient providers (or ones depending on them): resolved per message. */
  readonly isStatic: boolean;
  readonly retry: RetryPolicy;
  /** Set for a batch handler: its messages are gathered and handed over together. */
  readonly batch?: BatchSettings;
  /** Runs in a database transaction that records the message; see `HandlerOptions.inbox`. */
  readonly inbox?: boolean;
}

export interface Route {
  readonly handler: HandlerBinding;
  /**
   * The class to rebuild the message as: the sent type, which may be a subclass of the handler's;
   * absent for the catch-all handler, which gets plain data.
   */
  readonly messageType?: Type<unknown>;
}

const ANY_MESSAGE = '@OnAnyMessage';

export function describeHandler(handler: HandlerBinding): string {
  return `${handler.provider.metatype?.name ?? String(handler.provider.token)}.${handler.methodName}`;
}

/** The handlers of one queue, chosen by message type. */
export class DispatchTable {
  private readonly handlers = new Map<Type<unknown>, HandlerBinding>();
  private fallback: HandlerBinding | undefined;

  constructor(
    readonly queue: string,
    readonly backend: string,
    readonly concurrency: number,
  ) {}

  add(handler: HandlerBinding): void {
    const { messageType } = handler;
    const existing = messageType ? this.handlers.get(messageType) : this.fallback;
    if (existing) throw new DuplicateHandlerError(this.queue, messageType ? manifestOf(messageType) : ANY_MESSAGE, describeHandler(existing), describeHandler(handler));
    if (messageType) this.handlers.set(messageType, handler);
    else this.fallback = handler;
  }

  /**
   * The handler for the exact type named by `manifest`, else for its nearest base class, else the
   * catch-all; throws `UnroutableMessageError` when there is none.
   */
  route(manifest: string | undefined, types: MessageTypeRegistry): Route {
    const sentType = manifest === undefined ? undefined : types.typeOf(manifest);
    for (let current: unknown = sentType; typeof current === 'function'; current = Object.getPrototypeOf(current)) {
      const handler = this.handlers.get(current as Type<unknown>);
      if (handler && sentType) return { handler, messageType: sentType };
    }
    if (this.fallback) return { handler: this.fallback };
    throw new UnroutableMessageError(this.queue, manifest, this.manifests());
  }

  /** The most deliveries any handler here allows before it dead-letters. */
  mostAttempts(): number {
    const handlers = [...this.handlers.values(), ...(this.fallback ? [this.fallback] : [])];
    return Math.max(0, ...handlers.map((handler) => handler.retry.maxAttempts));
  }

  manifests(): string[] {
    const manifests = [...this.handlers.keys()].map(manifestOf);
    return this.fallback ? [...manifests, ANY_MESSAGE] : manifests;
  }
}
