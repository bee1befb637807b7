import { Inject, Injectable, type Type } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { BackendRegistry } from '../backends/backend-registry';
import {
  OutboxConfigurationError,
  BatchExceedsConcurrencyError,
  ConflictingBatchHandlerError,
  ConflictingConcurrencyError,
  HandlerWithoutQueueError,
  InvalidBatchOptionsError,
  InvalidConcurrencyError,
  UnknownMessageTypeError,
} from '../errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import { MessageTypeRegistry } from '../messages/message-type-registry';
import { declaredDestinationOf } from '../messages/message.decorator';
import { SerializerRegistry } from '../serialization/serializer-registry';
import { consumerMetadataOf, handlerMetadataOf, type HandlerMetadata } from './consumer.decorators';
import { DispatchTable, type BatchSettings, type HandlerBinding } from './dispatch-table';
import { applyDefaultParams } from './param.decorators';
import { RetryPolicy } from './retry-policy';

const DEFAULT_CONCURRENCY = 32;
/** What one SQS receive, and a Lambda SQS event by default, brings at most. */
const DEFAULT_BATCH_SIZE = 10;
/** Messages of one receive arrive within a few ms of each other; a trickle should not wait long for company. */
const DEFAULT_BATCH_WAIT_MS = 50;

/** Finds `@OnMessage` methods among the application's providers and builds a dispatch table per queue. */
@Injectable()
export class MessageHandlerExplorer {
  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) private readonly options: MelangeModuleOptions,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly backends: BackendRegistry,
    private readonly serializers: SerializerRegistry,
    private readonly types: MessageTypeRegistry,
  ) {}

  /** Throws a configuration error on the first mistake, so the application does not start half-wired. */
  explore(): DispatchTable[] {
    const known = new Set<Type<unknown>>(this.options.messages ?? []);
    for (const type of known) this.registerType(type);
    const tables = new Map<string, DispatchTable>();
    for (const provider of this.discovery.getProviders()) {
      const type = classOf(provider);
      if (!type) continue;
      for (const { methodName, metadata } of this.handlersOf(type)) {
        const consumer = consumerMetadataOf(type);
        if (!consumer) throw new HandlerWithoutQueueError(type, methodName);
        this.backends.get(consumer.backend, `@MessageConsumer of ${type.name}`);
        const backend = consumer.backend ?? this.backends.defaultName;
        const key = JSON.stringify([backend, consumer.queue]);
        const concurrency = consumer.concurrency ?? this.options.consumers?.concurrency ?? DEFAULT_CONCURRENCY;
        if (!Number.isInteger(concurrency) || concurrency < 1) throw new InvalidConcurrencyError(consumer.queue, type, concurrency);
        let table = tables.get(key);
        if (!table) {
          table = new DispatchTable(consumer.queue, backend, concurrency);
          tables.set(key, table);
        } else if (table.concurrency !== concurrency) {
          throw new ConflictingConcurrencyError(consumer.queue, table.concurrency, type, concurrency);
        }
        const messageType = metadata.fallback ? undefined : (metadata.type ?? firstParameterType(type, methodName));
        if (messageType) {
          this.registerType(messageType);
          known.add(messageType);
        }
        applyDefaultParams(type, methodName);
        const retry = new RetryPolicy({ ...this.options.consumers?.retry, ...consumer.retry, ...metadata.retry });
        const batch = metadata.batch && batchSettings(type, methodName, metadata.batch, table);
        const inbox = this.inboxOf(`${type.name}.${methodName}`, metadata.inbox ?? consumer.inbox ?? this.options.consumers?.inbox, batch);
        table.add({ messageType, provider, methodName, isStatic: isStatic(provider), retry, batch, inbox } satisfies HandlerBinding);
      }
    }
    this.checkDestinations(known);
    return [...tables.values()];
  }

  /**
   * Every destination's backend exists: the `destinations` option's, and the `@Message`
   * destinations of the classes the app is known to use (handled here, or listed in `messages`).
   * A class only ever published is checked at its first publish.
   */
  private checkDestinations(known: ReadonlySet<Type<unknown>>): void {
    for (const { message, destination } of this.options.destinations ?? []) {
      this.backends.get(destination.backend, `The destination of ${message.name} in MelangeModule's "destinations" option`);
    }
    for (const type of known) {
      const destination = declaredDestinationOf(type);
      if (destination) this.backends.get(destination.backend, `The @Message destination of ${type.name}`);
    }
  }

  private handlersOf(type: Type<unknown>): { methodName: string; metadata: HandlerMetadata }[] {
    return this.scanner
      .getAllMethodNames(type.prototype as object)
      .flatMap((methodName) => handlerMetadataOf(type.prototype as object, methodName).map((metadata) => ({ methodName, metadata })));
  }

  private inboxOf(handler: string, inbox: boolean | undefined, batch: BatchSettings | undefined): boolean {
    if (!inbox) return false;
    if (!this.options.outbox) {
      throw new OutboxConfigurationError(`${handler} is an inbox handler (inbox: true), which needs MelangeModule's "outbox" option for its database`);
    }
    if (batch) throw new OutboxConfigurationError(`${handler} is a batch handler; inbox: true applies to per-message handlers only`);
    return true;
  }

  /** Known by manifest for routing, and checked now for a serializer rather than at the first message. */
  private registerType(type: Type<unknown>): void {
    this.types.register(type);
    this.serializers.forType(type);
  }
}

function batchSettings(type: Type<unknown>, methodName: string, options: NonNullable<HandlerMetadata['batch']>, table: DispatchTable): BatchSettings {
  const handler = `${type.name}.${methodName}`;
  if (handlerMetadataOf(type.prototype as object, methodName).length > 1) throw new ConflictingBatchHandlerError(handler);
  const { maxSize = DEFAULT_BATCH_SIZE, maxWaitMs = DEFAULT_BATCH_WAIT_MS } = options;
  if (!Number.isInteger(maxSize) || maxSize < 1) {
    throw new InvalidBatchOptionsError(handler, 'maxSize', maxSize, `a whole number of at least 1 (default ${DEFAULT_BATCH_SIZE})`);
  }
  if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new InvalidBatchOptionsError(handler, 'maxWaitMs', maxWaitMs, `a number of milliseconds, 0 or more (default ${DEFAULT_BATCH_WAIT_MS})`);
  }
  if (maxSize > table.concurrency) throw new BatchExceedsConcurrencyError(table.queue, handler, maxSize, table.concurrency);
  return { maxSize, maxWaitMs };
}

function classOf(provider: InstanceWrapper): Type<unknown> | undefined {
  // Factory providers' metatype is the factory function, not a class whose methods we could scan.
  if (provider.inject) return undefined;
  const type = provider.metatype ?? (provider.instance as object | undefined)?.constructor;
  return typeof type === 'function' && type.prototype ? (type as Type<unknown>) : undefined;
}

function isStatic(provider: InstanceWrapper): boolean {
  return provider.isDependencyTreeStatic() && !provider.isTransient;
}

function firstParameterType(type: Type<unknown>, methodName: string): Type<unknown> {
  const parameters = Reflect.getMetadata('design:paramtypes', type.prototype as object, methodName) as unknown[] | undefined;
  const first = parameters?.[0];
  const notAClass = [undefined, Object, String, Number, Boolean, Array, Function, Promise];
  if (typeof first !== 'function' || notAClass.includes(first as never)) {
    throw new UnknownMessageTypeError(type, methodName);
  }
  return first as Type<unknown>;
}
