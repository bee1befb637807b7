import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../messages/dead-letter-attributes';
import type { Envelope } from '../../messages/envelope';
import type { Delivery, QueueSpec, SendOptions } from '../messaging-backend';

const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;
const FIFO_DEDUPLICATION_WINDOW_MS = 5 * 60 * 1000;

/** One receive of a message: a new one each time, so a late ack from an earlier receive cannot touch a newer one. */
interface Receipt {
  readonly receivedAt: number;
  /**
   * Its handler still runs and has taken no decision. The SQS backend renews such a message's
   * visibility; here it simply has no visibility timeout running until the hold ends.
   */
  held: boolean;
}

interface StoredMessage {
  readonly envelope: Envelope;
  readonly groupId?: string;
  receiveCount: number;
  /** Set while the message is in flight. */
  receipt?: Receipt;
  /** Brings it back when its retry delay or visibility timeout ends. */
  comeBack?: NodeJS.Timeout;
}

/**
 * Items oldest first (waiting messages, de-duplication ids). Taking the first one is O(1) (a head
 * index, not an array shift), which keeps a large backlog cheap; only FIFO queues, whose first
 * message may belong to a busy group, ever take from further in.
 */
class OrderedList<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  first(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head++];
    this.compact();
    return item;
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

/**
 * FIFO de-duplication ids seen within the last window. All share one window length, so they expire
 * in the order they were first seen, and eviction only ever looks at the oldest: a send costs O(1)
 * amortised. The order is a list beside the Map rather than the Map's own iteration order: V8
 * leaves a deleted entry's slot in a Map until the table is rebuilt and every new iteration walks
 * past those slots again, so eviction would grow with everything ever evicted.
 */
class DeduplicationWindow {
  private readonly expiries = new Map<string, number>();
  private readonly oldestFirst = new OrderedList<string>();

  constructor(private readonly windowMs: number) {}

  /** True when `id` was seen within the window; otherwise remembers it from `now`. */
  seenRecently(id: string, now: number): boolean {
    this.evictExpired(now);
    if (this.expiries.has(id)) return true;
    this.expiries.set(id, now + this.windowMs);
    this.oldestFirst.push(id);
    return false;
  }

  private evictExpired(now: number): void {
    for (let oldest = this.oldestFirst.first(); oldest !== undefined; oldest = this.oldestFirst.first()) {
      const expiresAt = this.expiries.get(oldest);
      if (expiresAt !== undefined && expiresAt >= now) return;
      this.expiries.delete(oldest);
      this.oldestFirst.shift();
    }
  }
}

/** What a receiver tells the queue about a message it was handed. */
export interface MessageLease {
  /**
   * The handler settled, or its consumer was abandoned: stop holding the message. Unless a
   * decision was taken about it, its visibility timeout now runs. Calling it again does nothing.
   */
  release(): void;
}

export interface QueueReceiver {
  /** How many more messages this receiver can start now. */
  capacity(): number;
  /** The message stays invisible until a decision is taken about it or the lease is released. */
  receive(delivery: Delivery, lease: MessageLease): void;
}

/**
 * One queue with SQS semantics: a received message is invisible until acked, retried or its
 * visibility timeout runs out; then it is delivered again with a higher receive count, and after
 * `maxReceiveCount` receives it moves to the dead-letter queue. As the SQS backend renews the
 * visibility of a message whose handler still runs, the timeout starts only when the receiver
 * releases its lease. FIFO queues hold back a group while one of its messages is in flight.
 */
export class InMemoryQueue {
  private readonly ready = new OrderedList<StoredMessage>();
  private readonly inFlight = new Set<StoredMessage>();
  private readonly receivers: QueueReceiver[] = [];
  private readonly deduplication = new DeduplicationWindow(FIFO_DEDUPLICATION_WINDOW_MS);
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
    const message: StoredMessage = { envelope, groupId: options.groupId, receiveCount: 0 };
    const delaySeconds = options.delaySeconds ?? this.spec.delaySeconds ?? 0;
    if (delaySeconds <= 0) {
      this.makeReady(message);
      return;
    }
    setTimeout(() => this.makeReady(message), delaySeconds * 1000).unref();
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
      const receipt = this.receive(message);
      receiver.receive(this.deliveryOf(message, receipt), this.leaseOf(message, receipt));
    }
  }

  private receive(message: StoredMessage): Receipt {
    message.receiveCount += 1;
    const receipt: Receipt = { receivedAt: performance.now(), held: true };
    message.receipt = receipt;
    this.inFlight.add(message);
    return receipt;
  }

  private leaseOf(message: StoredMessage, receipt: Receipt): MessageLease {
    return {
      release: () => {
        if (message.receipt !== receipt || !receipt.held) return;
        receipt.held = false;
        this.comeBackAfter(message, this.visibleAgainIn(receipt));
      },
    };
  }

  private deliveryOf(message: StoredMessage, receipt: Receipt): Delivery {
    const current = () => message.receipt === receipt;
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
        if (!current()) return;
        // A decision: the message comes back after the delay even if its handler runs on.
        receipt.held = false;
        this.comeBackAfter(message, delayMs);
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

  /**
   * How long a message released without a decision stays invisible: the rest of its visibility
   * timeout, or a whole one when its handler outlived it (SQS would have renewed the message while
   * the handler ran, so it comes back a timeout after the last renewal).
   */
  private visibleAgainIn(receipt: Receipt): number {
    const timeoutMs = (this.spec.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS) * 1000;
    const heldMs = performance.now() - receipt.receivedAt;
    return heldMs < timeoutMs ? timeoutMs - heldMs : timeoutMs;
  }

  /**
   * A timer only for messages that are to come back: none while a handler runs, none for the
   * usual ack. Unref'd, so an in-memory queue never keeps a process alive by itself.
   */
  private comeBackAfter(message: StoredMessage, ms: number): void {
    clearTimeout(message.comeBack);
    message.comeBack = setTimeout(() => {
      this.forget(message);
      this.makeReady(message);
    }, ms);
    message.comeBack.unref();
  }

  private forget(message: StoredMessage): void {
    clearTimeout(message.comeBack);
    message.comeBack = undefined;
    message.receipt = undefined;
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
    // Monotonic, so that setting the wall clock back cannot stretch the window.
    return this.deduplication.seenRecently(id, performance.now());
  }
}
