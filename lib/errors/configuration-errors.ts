import type { Type } from '@nestjs/common';
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

/** `@OnMessageBatch` options out of range. */
export class InvalidBatchOptionsError extends MelangeConfigurationError {
  constructor(handler: string, option: 'maxSize' | 'maxWaitMs', value: unknown, expected: string) {
    super(`${handler} is marked @OnMessageBatch with ${option} ${describeOption(value)}; give ${expected}.`);
  }
}

/** A batch can only fill with messages its consumer holds at once. */
export class BatchExceedsConcurrencyError extends MelangeConfigurationError {
  constructor(queue: string, handler: string, maxSize: number, concurrency: number) {
    super(
      `${handler} gathers batches of up to ${maxSize} messages, but queue "${queue}" is consumed with concurrency ${concurrency}: ` +
        `the consumer never holds ${maxSize} messages at once, so every batch would wait out maxWaitMs. Raise the queue's ` +
        `concurrency to at least ${maxSize} (@MessageConsumer({ queue, concurrency }) or consumers.concurrency), or lower maxSize.`,
    );
  }
}

/** A method marked both `@OnMessage` and `@OnMessageBatch`, or `@OnMessageBatch` twice. */
export class ConflictingBatchHandlerError extends MelangeConfigurationError {
  constructor(handler: string) {
    super(
      `${handler} is marked @OnMessageBatch and also @OnMessage, @OnAnyMessage or @OnMessageBatch again: a batch handler takes ` +
        `an array of messages, a per-message handler one message. Keep one decorator, or use two methods.`,
    );
  }
}

function describeOption(value: unknown): string {
  return typeof value === 'string' ? `"${value}" (a string)` : typeof value === 'number' ? String(value) : `of type ${typeof value}`;
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

/** The outbox is used without being configured, or its options are wrong. */
export class OutboxConfigurationError extends MelangeConfigurationError {}

/** An option of `createLambdaHandler` (nestjs-melange/lambda) is wrong, or the module cannot serve as a Lambda handler. */
export class LambdaConfigurationError extends MelangeConfigurationError {}

/** The function received an event that is neither an SQS nor an SNS event: its trigger is wired wrongly. */
export class UnsupportedLambdaEventError extends MelangeConfigurationError {
  constructor(found: string) {
    super(
      `A handler made by createLambdaHandler received ${found}; it handles SQS events (an event source mapping) and SNS ` +
        `events (a subscription). Point this function's trigger at a queue or topic, or use another handler for this source.`,
    );
  }
}

/** Records came from a queue, or a topic, that no `@MessageConsumer` of the application handles. */
export class UnhandledLambdaSourceError extends MelangeConfigurationError {
  constructor(source: string, records: number, handled: readonly string[], hint: string) {
    super(
      `${records} record(s) from ${source} reached this function, but no @MessageConsumer of the application handles it ` +
        `(queues handled: ${handled.map((queue) => `"${queue}"`).join(', ') || 'none'}). ${hint}`,
    );
  }
}

/** The dashboard would be mounted without anything deciding who may see it. */
export class DashboardAccessError extends MelangeConfigurationError {
  constructor() {
    super(
      'MelangeDashboardModule.forRoot needs a "guard" (a CanActivate class or instance that decides who may see and operate ' +
        'the queues) or "public: true" to mount it unguarded on purpose. The dashboard can move and peek dead-lettered ' +
        'messages and pause consumers, so it never mounts open by default.',
    );
  }
}

/** The payloadOffloading option of SqsBackend is wrong, or @aws-sdk/client-s3 is not installed. */
export class PayloadOffloadingConfigurationError extends MelangeConfigurationError {}

/** A subscription's filter that a RabbitMQ headers exchange cannot express. */
export class RabbitMqFilterPolicyError extends MelangeConfigurationError {
  constructor(topic: string, queue: string, reason: string) {
    super(`The subscription of queue "${queue}" to topic "${topic}" cannot be declared on RabbitMQ: ${reason}.`);
  }
}
