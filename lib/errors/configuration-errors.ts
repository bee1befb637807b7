import type { Type } from '@nestjs/common';
import { describeThrown } from './describe-thrown';
import { MelangeConfigurationError } from './melange-error';

export class DuplicateMelangeModuleError extends MelangeConfigurationError {
  constructor(importers: readonly string[]) {
    super(
      `MelangeModule.forRoot is imported ${importers.length > 1 ? `by ${importers.join(', ')}` : 'more than once'}: each import ` +
        `would start every consumer of the application again. Import it once, in the root module (isGlobal: true makes ` +
        `MelangePublisher injectable everywhere), and remove it from the others.`,
    );
  }
}

export class ConsumerConfigurationError extends MelangeConfigurationError {}

export class HandlerWithoutQueueError extends MelangeConfigurationError {
  constructor(type: Type<unknown>, methodName: string) {
    super(
      `${type.name}.${methodName} is marked @OnMessage, but ${type.name} has no queue: ` +
        `mark the class @MessageConsumer('<queue>').`,
    );
  }
}

export class ConflictingConcurrencyError extends MelangeConfigurationError {
  constructor(queue: string, first: number, type: Type<unknown>, second: number) {
    super(
      `Queue "${queue}" is consumed with concurrency ${first} by one @MessageConsumer and ${second} by ${type.name}; ` +
        `one queue has one consumer loop, so give every @MessageConsumer of it the same concurrency (or none).`,
    );
  }
}

export class InvalidConcurrencyError extends MelangeConfigurationError {
  constructor(queue: string, type: Type<unknown>, concurrency: unknown) {
    super(
      `Queue "${queue}" (${type.name}) has concurrency ${String(concurrency)}; give a whole number of at least 1 ` +
        `in @MessageConsumer({ queue, concurrency }) or MelangeModule's consumers.concurrency.`,
    );
  }
}

export class UnknownMessageTypeError extends MelangeConfigurationError {
  constructor(type: Type<unknown>, methodName: string) {
    super(
      `Cannot tell which message ${type.name}.${methodName} handles: its first parameter has no class type ` +
        `(an interface, a primitive, or no parameter). Name the class: @OnMessage(OrderPlaced).`,
    );
  }
}

export class DuplicateHandlerError extends MelangeConfigurationError {
  constructor(queue: string, manifest: string, first: string, second: string) {
    super(
      `Queue "${queue}" has two handlers for message "${manifest}": ${first} and ` +
        `${second}. A message is handled once per queue; remove one, or consume ` +
        `the message on a second queue subscribed to the same topic.`,
    );
  }
}

export class UnknownBackendError extends MelangeConfigurationError {
  constructor(name: string, usedBy: string, known: readonly string[]) {
    super(
      `${usedBy} names backend "${name}", which is not configured; configured backends: ` +
        `${known.join(', ') || 'none'}. Add it to MelangeModule's "backends" option or fix the name.`,
    );
  }
}

export class BackendConfigurationError extends MelangeConfigurationError {}

export class ConflictingManifestError extends MelangeConfigurationError {
  constructor(manifest: string, first: Type<unknown>, second: Type<unknown>) {
    super(
      `Manifest "${manifest}" names two message classes, ${first.name} and ${second.name}. ` +
        `Give one of them its own name with @Message('...').`,
    );
  }
}

export class SerializerConfigurationError extends MelangeConfigurationError {}

export class NoSerializerError extends MelangeConfigurationError {
  constructor(type: Type<unknown>) {
    super(
      `No serializer for message class ${type.name}: it has no binding (nor has any base class) ` +
        `and no defaultSerializer is configured. Add { message: ${type.name}, serializer: '<name>' } ` +
        `to MelangeModule's serialization.bindings, or set serialization.defaultSerializer.`,
    );
  }
}
