import type { Type } from '@nestjs/common';
import { InMemoryBackend } from '../backends/in-memory/in-memory.backend';
import type {
  ConsumeOptions,
  ConsumerHandle,
  Delivery,
  DeliveryHandler,
  MessagingBackend,
  QueueSpec,
  SendOptions,
  SendResult,
  SubscriptionSpec,
  TopicSpec,
} from '../backends/messaging-backend';
import type { Envelope } from '../messages/envelope';
import { newMessageId } from '../messages/message-id';
import type { MelangeEvents } from '../observability/melange-events';
import { manifestOf } from '../messages/message.decorator';
import { JSON_SERIALIZER_ID } from '../serialization/json.serializer';
import { SerializerRegistry } from '../serialization/serializer-registry';

/**
 * 'handled': a handler ran and the message was acknowledged. 'discarded': no handler takes it and
 * `consumers.unroutable` is 'discard'. 'duplicate': the idempotency store knew it; no handler ran.
 */
export type SpiedOutcome = 'published' | 'handled' | 'retried' | 'dead-lettered' | 'discarded' | 'duplicate';

export interface SpiedMessage<T = unknown> {
  readonly outcome: SpiedOutcome;
  readonly backend: string;
  /** Where it was published to, or the queue it was consumed from. */
  readonly destination: { readonly queue: string } | { readonly topic: string };
  readonly envelope: Envelope;
  /** The message rebuilt as `T` (plain data when the spy was not told the type). */
  readonly message: T;
  /** Set for consume outcomes. */
  readonly receiveCount?: number;
  /** Set for 'dead-lettered'. */
  readonly reason?: string;
}

interface Waiter {
  readonly matches: (record: SpiedMessage) => boolean;
  readonly resolve: (record: SpiedMessage) => void;
}

export interface WaitOptions {
  /** Which outcome to wait for. Default 'handled'. */
  readonly outcome?: SpiedOutcome;
  readonly timeoutMs?: number;
}

/**
 * Sees every message an application publishes and every outcome of its consumers, on in-memory
 * backends. Tests await what they expect instead of sleeping.
 */
export class MessageSpy {
  private readonly records: SpiedMessage[] = [];
  private waiters: Waiter[] = [];
  private readonly backends = new Map<string, InMemoryBackend>();
  private serializers: SerializerRegistry;
  /** Set once the application's events are watched: acknowledgements are then told apart by them. */
  private events: MelangeEvents | undefined;
  /**
   * Acknowledged deliveries by backend, queue and message id, oldest first, until the event that
   * follows each acknowledgement says how it ended.
   */
  private readonly acknowledged = new Map<string, Omit<SpiedMessage, 'message'>[]>();

  constructor(serializers: SerializerRegistry = new SerializerRegistry()) {
    this.serializers = serializers;
  }

  /** What was recorded, optionally of one type and outcome, oldest first. */
  all<T>(type?: Type<T>, outcome?: SpiedOutcome): SpiedMessage<T>[] {
    return this.records.filter((record) => this.matches(record, type, outcome)).map((record) => this.typed(record, type));
  }

  published<T>(type?: Type<T>): SpiedMessage<T>[] {
    return this.all(type, 'published');
  }

  handled<T>(type?: Type<T>): SpiedMessage<T>[] {
    return this.all(type, 'handled');
  }

  /** Resolves with the first record of `type` (past or future) whose message satisfies `predicate`. */
  waitFor<T>(type: Type<T>, predicate: (message: T) => boolean = () => true, options: WaitOptions = {}): Promise<SpiedMessage<T>> {
    const outcome = options.outcome ?? 'handled';
    const timeoutMs = options.timeoutMs ?? 5000;
    const matches = (record: SpiedMessage) =>
      this.matches(record, type, outcome) && predicate(this.typed(record, type).message);
    const past = this.records.find(matches);
    if (past) return Promise.resolve(this.typed(past, type));
    return new Promise<SpiedMessage<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        const seen = this.records.map((r) => `${r.outcome} ${r.envelope.manifest ?? '?'}`).join(', ') || 'nothing';
        reject(new Error(`No ${manifestOf(type)} was ${outcome} within ${timeoutMs} ms; the spy saw: ${seen}`));
      }, timeoutMs);
      const entry: Waiter = {
        matches,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(this.typed(record, type));
        },
      };
      this.waiters.push(entry);
    });
  }

  /**
   * Puts a message on a consumed queue without going through the publisher or any topic, and
   * resolves with what the consumer made of it.
   */
  async deliver<T extends object>(
    message: T,
    queue: string,
    options: { backend?: string; attributes?: Record<string, string>; timeoutMs?: number } = {},
  ): Promise<SpiedMessage<T>> {
    const type = message.constructor as Type<T>;
    const serializer = this.serializers.forType(type);
    const envelope: Envelope = {
      payload: serializer.serialize(message),
      manifest: serializer.manifest(message),
      serializerId: serializer.id,
      messageId: newMessageId(),
      attributes: options.attributes ?? {},
    };
    const backend = this.backends.get(options.backend ?? 'default') ?? [...this.backends.values()][0];
    if (!backend) throw new Error('The spy has no backend: build the app with MelangeTestingModule first.');
    const outcome = new Promise<SpiedMessage<T>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Message ${envelope.messageId} was not consumed from "${queue}" within ${options.timeoutMs ?? 5000} ms`)), options.timeoutMs ?? 5000);
      this.waiters.push({
        matches: (record) => record.outcome !== 'published' && record.envelope.messageId === envelope.messageId,
        resolve: (record) => {
          clearTimeout(timer);
          resolve(this.typed(record, type));
        },
      });
    });
    await backend.send(queue, envelope);
    return outcome;
  }

  clear(): void {
    this.records.length = 0;
  }

  /** In-memory backends, one per configured name, that report to this spy. */
  backendsFor(names: readonly string[]): Record<string, MessagingBackend> {
    return Object.fromEntries(names.map((name) => [name, this.backendNamed(name)]));
  }

  /**
   * Learns from the application's events why a message was acknowledged: its handler ran, or it
   * was discarded or a duplicate. Without them every acknowledgement counts as 'handled'.
   */
  watch(events: MelangeEvents): void {
    if (this.events) return;
    this.events = events;
    for (const outcome of ['handled', 'discarded', 'duplicate'] as const) {
      events.on(outcome, ({ backend, queue, messageId }) => {
        const key = acknowledgedKey(backend, { queue }, messageId);
        const waiting = this.acknowledged.get(key);
        const acknowledged = waiting?.shift();
        if (waiting?.length === 0) this.acknowledged.delete(key);
        if (acknowledged) this.record({ ...acknowledged, outcome });
      });
    }
  }

  /** Decode with the application's serializers, once the application has them. */
  useSerializers(serializers: SerializerRegistry): void {
    this.serializers = serializers;
  }

  private backendNamed(name: string): MessagingBackend {
    const inner = new InMemoryBackend();
    this.backends.set(name, inner);
    return new SpyingBackend(inner, name, (record) => this.reported(record));
  }

  private reported(record: Omit<SpiedMessage, 'message'>): void {
    if (record.outcome === 'handled' && this.events) {
      // Acknowledged: the event that follows says whether a handler ran.
      const key = acknowledgedKey(record.backend, record.destination, record.envelope.messageId);
      this.acknowledged.set(key, [...(this.acknowledged.get(key) ?? []), record]);
      return;
    }
    this.record(record);
  }

  private record(record: Omit<SpiedMessage, 'message'>): void {
    const full = { ...record, message: undefined } as SpiedMessage;
    this.records.push(full);
    const ready = this.waiters.filter((waiter) => waiter.matches(full));
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(full);
  }

  private matches(record: SpiedMessage, type: Type<unknown> | undefined, outcome: SpiedOutcome | undefined): boolean {
    return (!outcome || record.outcome === outcome) && (!type || record.envelope.manifest === manifestOf(type));
  }

  private typed<T>(record: SpiedMessage, type: Type<T> | undefined): SpiedMessage<T> {
    const { envelope } = record;
    try {
      const serializer = this.serializers.forId(envelope.serializerId ?? JSON_SERIALIZER_ID);
      return { ...record, message: serializer.deserialize(envelope.payload, envelope.manifest, type) as T };
    } catch {
      // Undecodable messages are recorded too (as dead-lettered); their envelope tells the story.
      return { ...record, message: undefined as T };
    }
  }
}

function acknowledgedKey(backend: string, destination: SpiedMessage['destination'], messageId: string): string {
  return JSON.stringify([backend, 'queue' in destination ? destination.queue : destination.topic, messageId]);
}

/** Passes everything to an in-memory backend and tells the spy what happened. */
class SpyingBackend implements MessagingBackend {
  constructor(
    private readonly inner: InMemoryBackend,
    private readonly name: string,
    /** Published, or settled: acknowledged ('handled'), retried or dead-lettered. */
    private readonly report: (record: Omit<SpiedMessage, 'message'>) => void,
  ) {}

  declareQueue(spec: QueueSpec): Promise<void> {
    return this.inner.declareQueue(spec);
  }

  declareTopic(spec: TopicSpec): Promise<void> {
    return this.inner.declareTopic(spec);
  }

  declareSubscription(spec: SubscriptionSpec): Promise<void> {
    return this.inner.declareSubscription(spec);
  }

  async send(queue: string, envelope: Envelope, options?: SendOptions): Promise<SendResult> {
    const result = await this.inner.send(queue, envelope, options);
    this.report({ outcome: 'published', backend: this.name, destination: { queue }, envelope });
    return result;
  }

  async publish(topic: string, envelope: Envelope, options?: SendOptions): Promise<SendResult> {
    const result = await this.inner.publish(topic, envelope, options);
    this.report({ outcome: 'published', backend: this.name, destination: { topic }, envelope });
    return result;
  }

  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): ConsumerHandle {
    return this.inner.consume(queue, (delivery) => handler(this.observed(delivery)), options);
  }

  checkHealth(): Promise<void> {
    return this.inner.checkHealth();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private observed(delivery: Delivery): Delivery {
    const report = (outcome: SpiedOutcome, reason?: string) =>
      this.report({
        outcome,
        backend: this.name,
        destination: { queue: delivery.queue },
        envelope: delivery.envelope,
        receiveCount: delivery.receiveCount,
        reason,
      });
    return {
      queue: delivery.queue,
      envelope: delivery.envelope,
      receiveCount: delivery.receiveCount,
      groupId: delivery.groupId,
      ack: async () => {
        await delivery.ack();
        report('handled');
      },
      retry: async (delayMs) => {
        await delivery.retry(delayMs);
        report('retried');
      },
      deadLetter: async (reason) => {
        const moved = await delivery.deadLetter(reason);
        // When not moved, the dispatcher retries instead, and that retry is reported.
        if (moved) report('dead-lettered', reason);
        return moved;
      },
    };
  }
}
