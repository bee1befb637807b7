import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import type { Envelope } from '../../messages/envelope';
import type { Delivery, QueueSpec, SendOptions } from '../messaging-backend';

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

interface StoredMessage {
  readonly envelope: Envelope;
  readonly groupId?: string;
  receiveCount: number;
  /** Bumped on every receive, so a late ack from an earlier receive cannot touch a newer one. */
  receipt: number;
  hiddenUntil?: NodeJS.Timeout;
}

/**
 * Messages waiting, oldest first. Taking the first one is O(1) (a head index, not an array shift),
 * which keeps a large backlog cheap; only FIFO queues, whose first message may belong to a busy
 * group, ever take from further in.
 */
class ReadyList<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  takeFirst(eligible: (item: T) => boolean): T | undefined {
    for (let index = this.head; index < this.items.length; index++) {
      const item = this.items[index];
      if (!eligible(item)) continue;
      if (index === this.head) {
        this.head++;
        this.compact();
      } else {
        this.items.splice(index, 1);
      }
      return item;
    }
    return undefined;
  }

  values(): T[] {
    return this.items.slice(this.head);
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export interface QueueReceiver {
  /** How many more messages this receiver can start now. */
  capacity(): number;
  receive(delivery: Delivery): void;
}

/**
 * One queue with SQS semantics: a received message is invisible until acked, retried or its
 * visibility timeout runs out; then it is delivered again with a higher receive count, and after
 * `maxReceiveCount` receives it moves to the dead-letter queue. FIFO queues hold back a group
 * while one of its messages is in flight.
 */
export class InMemoryQueue {
  private readonly ready = new ReadyList<StoredMessage>();
  private readonly inFlight = new Set<StoredMessage>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly receivers: QueueReceiver[] = [];
  private readonly recentDeduplicationIds = new Map<string, number>();
  private nextReceiver = 0;
  private spec: QueueSpec;

  constructor(
    spec: QueueSpec,
    private readonly queueNamed: (name: string) => InMemoryQueue,
  ) {
    this.spec = spec;
  }

  get name(): string {
    return this.spec.name;
  }

  configure(spec: QueueSpec): void {
    this.spec = { ...this.spec, ...spec };
  }

  /** Messages waiting to be received, oldest first (in-flight and delayed ones are not included). */
  waiting(): Envelope[] {
    return this.ready.values().map((message) => message.envelope);
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  enqueue(envelope: Envelope, options: SendOptions = {}): void {
    if (this.isDuplicate(envelope, options)) return;
    const message: StoredMessage = { envelope, groupId: options.groupId, receiveCount: 0, receipt: 0 };
    const delaySeconds = options.delaySeconds ?? this.spec.delaySeconds ?? 0;
    if (delaySeconds <= 0) {
      this.makeReady(message);
      return;
    }
    const timer = setTimeout(() => {
      this.delayed.delete(timer);
      this.makeReady(message);
    }, delaySeconds * 1000);
    timer.unref();
    this.delayed.add(timer);
  }

  addReceiver(receiver: QueueReceiver): () => void {
    this.receivers.push(receiver);
    this.pump();
    return () => {
      const index = this.receivers.indexOf(receiver);
      if (index >= 0) this.receivers.splice(index, 1);
    };
  }

  /** Hands waiting messages to receivers that have room, round-robin. */
  pump(): void {
    for (;;) {
      const receiver = this.receiverWithCapacity();
      if (!receiver) return;
      const message = this.ready.takeFirst((candidate) => !this.groupBusy(candidate));
      if (!message) return;
      if (this.exceededReceives(message)) {
        this.moveToDeadLetterQueue(message, { [DEAD_LETTER_REASON_ATTRIBUTE]: 'maxReceiveCount exceeded' });
        continue;
      }
      receiver.receive(this.receive(message));
    }
  }

  close(): void {
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    for (const message of this.inFlight) clearTimeout(message.hiddenUntil);
  }

  private receive(message: StoredMessage): Delivery {
    message.receiveCount += 1;
    const receipt = ++message.receipt;
    this.inFlight.add(message);
    this.hideFor(message, (this.spec.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS) * 1000);
    const current = () => message.receipt === receipt && this.inFlight.has(message);
    return {
      queue: this.name,
      envelope: message.envelope,
      receiveCount: message.receiveCount,
      groupId: message.groupId,
      ack: async () => {
        if (!current()) return;
        this.forget(message);
        this.pump();
      },
      retry: async (delayMs) => {
        if (current()) this.hideFor(message, delayMs);
      },
      deadLetter: async (reason) => {
        if (!this.spec.deadLetterQueue) return false;
        if (current()) {
          this.forget(message);
          this.moveToDeadLetterQueue(message, { [DEAD_LETTER_REASON_ATTRIBUTE]: reason });
          this.pump();
        }
        return true;
      },
    };
  }

  private hideFor(message: StoredMessage, ms: number): void {
    clearTimeout(message.hiddenUntil);
    message.hiddenUntil = setTimeout(() => {
      this.forget(message);
      this.makeReady(message);
    }, ms);
    message.hiddenUntil.unref();
  }

  private forget(message: StoredMessage): void {
    clearTimeout(message.hiddenUntil);
    this.inFlight.delete(message);
  }

  private makeReady(message: StoredMessage): void {
    // Redelivered messages of a FIFO group go back in front, so the group keeps its order.
    if (this.spec.fifo && message.receiveCount > 0) this.ready.unshift(message);
    else this.ready.push(message);
    this.pump();
  }

  private moveToDeadLetterQueue(message: StoredMessage, attributes: Record<string, string>): void {
    const target = this.spec.deadLetterQueue;
    if (!target) return;
    const envelope: Envelope = {
      ...message.envelope,
      attributes: { ...message.envelope.attributes, ...attributes, [SOURCE_QUEUE_ATTRIBUTE]: this.name },
    };
    this.queueNamed(target).enqueue(envelope, { groupId: message.groupId });
  }

  private exceededReceives(message: StoredMessage): boolean {
    const max = this.spec.maxReceiveCount;
    return this.spec.deadLetterQueue !== undefined && max !== undefined && message.receiveCount >= max;
  }

  private groupBusy(message: StoredMessage): boolean {
    if (!this.spec.fifo || message.groupId === undefined) return false;
    for (const other of this.inFlight) if (other.groupId === message.groupId) return true;
    return false;
  }

  private receiverWithCapacity(): QueueReceiver | undefined {
    for (let tried = 0; tried < this.receivers.length; tried++) {
      const receiver = this.receivers[this.nextReceiver % this.receivers.length];
      this.nextReceiver = (this.nextReceiver + 1) % this.receivers.length;
      if (receiver.capacity() > 0) return receiver;
    }
    return undefined;
  }

  private isDuplicate(envelope: Envelope, options: SendOptions): boolean {
    if (!this.spec.fifo) return false;
    const id =
      options.deduplicationId ?? (this.spec.contentBasedDeduplication ? envelope.payload : undefined);
    if (id === undefined) return false;
    const now = Date.now();
    for (const [seen, at] of this.recentDeduplicationIds) {
      if (now - at > FIFO_DEDUPLICATION_WINDOW_MS) this.recentDeduplicationIds.delete(seen);
    }
    if (this.recentDeduplicationIds.has(id)) return true;
    this.recentDeduplicationIds.set(id, now);
    return false;
  }
}
