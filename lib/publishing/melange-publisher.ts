import { Inject, Injectable, type Type } from '@nestjs/common';
import { BackendRegistry } from '../backends/backend-registry';
import type { MessagingBackend, SendOptions, SendResult } from '../backends/messaging-backend';
import {
  InvalidDestinationError,
  MessageRejectedError,
  NoDestinationError,
  NotAMessageClassError,
  OutboxConfigurationError,
  PublishBatchError,
  SerializationError,
} from '../errors';
import { MELANGE_MODULE_OPTIONS, type MelangeModuleOptions } from '../melange.options';
import type { Envelope } from '../messages/envelope';
import { MAX_MESSAGE_ID_LENGTH, newMessageId } from '../messages/message-id';
import { declaredDestinationOf, type MessageDestination } from '../messages/message.decorator';
import { MelangeEvents } from '../observability/melange-events';
import { tracePublish, tracingActive } from '../observability/tracing';
import type { OutboxTransaction } from '../outbox/outbox-database';
import { OutboxStore, type OutboxEntry } from '../outbox/outbox-store';
import { SerializerRegistry } from '../serialization/serializer-registry';

export interface PublishOptions extends SendOptions {
  /** User attributes, delivered with the message. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Your own id, e.g. to make a retried publish recognisable; default a random UUID. */
  readonly messageId?: string;
  /**
   * Your open database transaction: the message is written to the outbox in it and reaches the
   * broker only if the transaction commits (MelangeModule's `outbox` option must be set). A
   * node-postgres client, a TypeORM EntityManager or QueryRunner, or anything with `query()`.
   */
  readonly transaction?: OutboxTransaction;
}

export type PublishResult = SendResult;

// Shared by every publish() called without options, instead of a new empty object each. Not so for
// the envelope's attributes: the in-memory backend hands that object to the handler as it is.
const NO_OPTIONS: PublishOptions = Object.freeze({});

/** Sends messages to queues and topics. Inject it wherever a message starts its journey. */
@Injectable()
export class MelangePublisher {
  private readonly configuredDestinations: ReadonlyMap<Type<unknown>, MessageDestination>;
  private readonly outbox?: OutboxStore;

  constructor(
    @Inject(MELANGE_MODULE_OPTIONS) options: MelangeModuleOptions,
    private readonly backends: BackendRegistry,
    private readonly serializers: SerializerRegistry,
    private readonly events: MelangeEvents,
  ) {
    this.configuredDestinations = new Map(
      (options.destinations ?? []).map((binding) => [binding.message, binding.destination]),
    );
    if (options.outbox) this.outbox = new OutboxStore(options.outbox.schema ?? 'public');
  }

  /** To `destination`, or to the class's default destination when none is given. */
  publish(message: object, destination?: MessageDestination, options?: PublishOptions): Promise<PublishResult>;
  /** To the class's default destination, with options. */
  publish(message: object, options: PublishOptions): Promise<PublishResult>;
  publish(
    message: object,
    destinationOrOptions?: MessageDestination | PublishOptions,
    maybeOptions: PublishOptions = NO_OPTIONS,
  ): Promise<PublishResult> {
    try {
      const named = isDestination(destinationOrOptions);
      const destination = named ? destinationOrOptions : undefined;
      const options = named ? maybeOptions : (destinationOrOptions ?? maybeOptions);
      const type = messageClassOf(message);
      const target = destination ?? this.configuredDestinations.get(type) ?? declaredDestinationOf(type);
      if (!target) throw new NoDestinationError(type);
      const name = target.queue ?? target.topic;
      if (typeof name !== 'string' || name === '') throw new InvalidDestinationError(type, target);
      const kind = target.queue !== undefined ? 'queue' : 'topic';
      const backendName = target.backend ?? this.backends.defaultName;
      // The error's text is built only for a backend that is missing, not on every publish.
      const backend = this.backends.find(backendName) ?? this.backends.get(backendName, `Destination ${kind} "${name}"`);
      if (options.messageId !== undefined) assertUsableMessageId(name, options.messageId);
      const envelope = this.envelope(message, type, options);
      const { groupId, deduplicationId, delaySeconds } = options;
      const sendOptions: SendOptions = { groupId, deduplicationId, delaySeconds };
      if (options.transaction !== undefined) {
        return this.storeInOutbox(options.transaction, { backend: backendName, kind, destination: name, envelope, options: sendOptions });
      }
      // publish() is a producer's hot path: with no tracing and nobody listening, the caller gets
      // the backend's own promise, without a layer of ours around it.
      if (!tracingActive() && !this.events.has('published') && !this.events.has('publish-failed')) {
        return sendTo(backend, kind, name, envelope, sendOptions);
      }
      return this.observedSend(backend, backendName, kind, name, envelope, sendOptions);
    } catch (error) {
      // Like any promise-returning method: a refused message rejects, it does not throw.
      return Promise.reject(error);
    }
  }

  /** The send, traced and reported to `published` / `publish-failed` listeners. */
  private async observedSend(
    backend: MessagingBackend,
    backendName: string,
    kind: 'queue' | 'topic',
    name: string,
    envelope: Envelope,
    sendOptions: SendOptions,
  ): Promise<PublishResult> {
    const startedAt = performance.now();
    try {
      const result = !tracingActive()
        ? await sendTo(backend, kind, name, envelope, sendOptions)
        : await tracePublish({ system: this.backends.systemOf(backendName), destination: name, messageId: envelope.messageId }, (traceAttributes) =>
            sendTo(backend, kind, name, withTraceAttributes(envelope, traceAttributes), sendOptions),
          );
      if (this.events.has('published')) {
        this.events.emit('published', { ...publishedEvent(envelope, backendName, name), durationMs: performance.now() - startedAt });
      }
      return result;
    } catch (error) {
      this.events.emit('publish-failed', { ...publishedEvent(envelope, backendName, name), error });
      throw error;
    }
  }

  /**
   * Publishes several messages at once; backends that batch on the wire combine them. Resolves
   * with a result per message, or rejects with a `PublishBatchError` that says which failed.
   */
  async publishBatch(
    messages: readonly object[],
    destination?: MessageDestination,
    options: Omit<PublishOptions, 'messageId' | 'deduplicationId'> = {},
  ): Promise<PublishResult[]> {
    const results = options.transaction === undefined
      ? await Promise.allSettled(messages.map((message) => this.publish(message, destination, options)))
      : await this.storeEachInTurn(messages, destination, options);
    if (results.some((result) => result.status === 'rejected')) throw new PublishBatchError(results);
    return results.map((result) => (result as PromiseFulfilledResult<PublishResult>).value);
  }

  /** One connection runs one statement at a time: rows of one transaction are written in turn, in order. */
  private async storeEachInTurn(
    messages: readonly object[],
    destination: MessageDestination | undefined,
    options: PublishOptions,
  ): Promise<Array<PromiseSettledResult<PublishResult>>> {
    const results: Array<PromiseSettledResult<PublishResult>> = [];
    for (const message of messages) {
      try {
        results.push({ status: 'fulfilled', value: await this.publish(message, destination, options) });
      } catch (reason) {
        results.push({ status: 'rejected', reason });
      }
    }
    return results;
  }

  /** The producer span covers the write, and its context travels in the stored attributes to the consumer. */
  private async storeInOutbox(transaction: OutboxTransaction, entry: OutboxEntry): Promise<PublishResult> {
    if (!this.outbox) {
      throw new OutboxConfigurationError(
        'publish() was given a transaction, but MelangeModule has no "outbox" option: add outbox: { database: pgOutboxDatabase(pool) } ' +
          'and create its table with MelangeOutbox.migrate() or the SQL of MelangeOutbox.schemaSql().',
      );
    }
    const store = this.outbox;
    const span = { system: this.backends.systemOf(entry.backend), destination: entry.destination, messageId: entry.envelope.messageId };
    await tracePublish(span, (traceAttributes) => store.store(transaction, { ...entry, envelope: withTraceAttributes(entry.envelope, traceAttributes) }));
    return { messageId: entry.envelope.messageId };
  }

  private envelope(message: object, type: Type<unknown>, options: PublishOptions): Envelope {
    const serializer = this.serializers.forType(type);
    let payload: string;
    let manifest: string;
    try {
      manifest = serializer.manifest(message);
      payload = serializer.serialize(message);
    } catch (error) {
      throw new SerializationError(type, serializer.id, error);
    }
    return {
      payload,
      manifest,
      serializerId: serializer.id,
      messageId: options.messageId ?? newMessageId(),
      attributes: options.attributes ?? {},
    };
  }
}

function publishedEvent(envelope: Envelope, backend: string, destination: string): { messageId: string; manifest?: string; backend: string; destination: string } {
  return { messageId: envelope.messageId, manifest: envelope.manifest, backend, destination };
}

function sendTo(backend: MessagingBackend, kind: 'queue' | 'topic', name: string, envelope: Envelope, options: SendOptions): Promise<SendResult> {
  return kind === 'queue' ? backend.send(name, envelope, options) : backend.publish(name, envelope, options);
}

function withTraceAttributes(envelope: Envelope, traceAttributes: Readonly<Record<string, string>>): Envelope {
  if (Object.keys(traceAttributes).length === 0) return envelope;
  return { ...envelope, attributes: { ...envelope.attributes, ...traceAttributes } };
}

/** The message's class; anything else (null, a primitive, an array, a plain object) is refused with what it was. */
function messageClassOf(message: unknown): Type<unknown> {
  if (message === null || message === undefined) throw new NotAMessageClassError(String(message));
  if (typeof message !== 'object') throw new NotAMessageClassError(`a ${typeof message}`);
  if (Array.isArray(message)) throw new NotAMessageClassError('an array');
  const type = (message as { constructor?: unknown }).constructor;
  if (type === Object || type === undefined) throw new NotAMessageClassError('a plain object');
  if (typeof type !== 'function') throw new NotAMessageClassError('an object without a class');
  return type as Type<unknown>;
}

/** SQS and SNS refuse an empty attribute value; a control character could forge log lines downstream. */
function assertUsableMessageId(destination: string, messageId: unknown): void {
  const reject = (reason: string): never => {
    throw new MessageRejectedError(destination, typeof messageId === 'string' ? messageId : '(no id)', reason);
  };
  if (typeof messageId !== 'string') reject(`its messageId is a ${typeof messageId}, not a string`);
  const id = messageId as string;
  if (id.length === 0) reject('its messageId is empty; leave it out for a random one');
  if (id.length > MAX_MESSAGE_ID_LENGTH) reject(`its messageId is ${id.length} characters long, over the limit of ${MAX_MESSAGE_ID_LENGTH}`);
  if (/[\u0000-\u001f\u007f]/.test(id)) reject('its messageId contains control characters');
}

function isDestination(value: MessageDestination | PublishOptions | undefined): value is MessageDestination {
  return value !== undefined && ('queue' in value || 'topic' in value);
}

