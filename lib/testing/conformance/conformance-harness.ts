import { randomUUID } from 'node:crypto';
import type { ConsumerHandle, Delivery, DeliveryHandler, MessagingBackend } from '../../backends/messaging-backend';
import type { Envelope } from '../../messages/envelope';
import type { BackendConformanceOptions } from './conformance-options';

export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds; the error names what was awaited, for a readable failure. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** A JSON envelope with a fresh id; `label` ends up in the payload so specs can tell messages apart. */
export function envelopeOf(label: string, overrides: Partial<Envelope> = {}): Envelope {
  return {
    payload: JSON.stringify({ label }),
    manifest: 'conformance.labelled',
    serializerId: 1,
    messageId: randomUUID(),
    attributes: {},
    ...overrides,
  };
}

/** The label of a kit's message; '' for anything else, hostile payloads included. */
export function labelOf(delivery: Delivery): string {
  try {
    const parsed: unknown = JSON.parse(delivery.envelope.payload);
    return typeof parsed === 'object' && parsed !== null && 'label' in parsed ? String(parsed.label) : '';
  } catch {
    return '';
  }
}

/** Records every delivery a consumer gets, then takes the decision `decide` gives (ack by default). */
export class Recorder {
  readonly deliveries: Delivery[] = [];
  readonly arrivedAt: number[] = [];

  constructor(private readonly decide: (delivery: Delivery, recorder: Recorder) => Promise<void> = (delivery) => delivery.ack()) {}

  readonly handler: DeliveryHandler = async (delivery) => {
    this.deliveries.push(delivery);
    this.arrivedAt.push(Date.now());
    await this.decide(delivery, this);
  };

  labels(): string[] {
    return this.deliveries.map(labelOf);
  }

  async waitForCount(count: number, timeoutMs: number): Promise<Delivery[]> {
    await waitFor(() => this.deliveries.length >= count, timeoutMs, `${count} deliveries (got ${this.deliveries.length})`);
    return this.deliveries;
  }
}

/**
 * What one spec works with: a backend of its own, names no other spec uses, and the consumers it
 * started, all stopped and closed by `dispose()` whatever the spec's outcome.
 */
export class ConformanceHarness {
  private readonly consumers: ConsumerHandle[] = [];
  private readonly backends: MessagingBackend[] = [];
  readonly timeoutMs: number;

  private constructor(
    readonly backend: MessagingBackend,
    readonly options: BackendConformanceOptions,
  ) {
    this.backends.push(backend);
    this.timeoutMs = options.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  }

  static async open(options: BackendConformanceOptions): Promise<ConformanceHarness> {
    return new ConformanceHarness(await options.create(), options);
  }

  /** A second backend on the same broker, as another process of the same service would have. */
  async another(): Promise<MessagingBackend> {
    const backend = await this.options.create();
    this.backends.push(backend);
    return backend;
  }

  /** FIFO names end in `.fifo`, which SQS requires and other brokers accept. */
  name(role: string, fifo = false): string {
    return `conformance-${role}-${randomUUID().slice(0, 8)}${fifo ? '.fifo' : ''}`;
  }

  /** A declared queue with a 1 s visibility timeout, and a dead-letter queue when asked. */
  async queue(role: string, extra: { fifo?: boolean; deadLetter?: boolean; maxReceiveCount?: number } = {}): Promise<{ queue: string; deadLetterQueue?: string }> {
    const fifo = extra.fifo ?? false;
    const queue = this.name(role, fifo);
    let deadLetterQueue: string | undefined;
    if (extra.deadLetter) {
      deadLetterQueue = this.name(`${role}-dlq`, fifo);
      await this.backend.declareQueue({ name: deadLetterQueue, fifo });
    }
    await this.backend.declareQueue({ name: queue, fifo, visibilityTimeout: 1, deadLetterQueue, maxReceiveCount: extra.maxReceiveCount });
    return { queue, deadLetterQueue };
  }

  consume(queue: string, handler: DeliveryHandler, concurrency = 4, backend: MessagingBackend = this.backend): ConsumerHandle {
    const handle = backend.consume(queue, handler, { concurrency });
    this.consumers.push(handle);
    return handle;
  }

  async dispose(): Promise<void> {
    await Promise.allSettled(this.consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.allSettled(this.backends.splice(0).map((backend) => backend.close()));
  }
}
