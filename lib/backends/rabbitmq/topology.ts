import type { Channel } from 'amqplib';
import { InfrastructureError, RabbitMqFilterPolicyError, describeThrown } from '../../errors';
import type { QueueSpec, SubscriptionSpec, TopicSpec } from '../messaging-backend';
import { MANIFEST_HEADER } from './amqp-wire-format';
import type { ConnectionKeeper } from './connection-keeper';

/** A delay queue unused this long is deleted by the broker; it is declared again before each use that could outlive it. */
const DELAY_QUEUE_IDLE_MS = 10 * 60 * 1000;
const DELAY_QUEUE_REDECLARE_MS = DELAY_QUEUE_IDLE_MS / 2;

/** What the backend remembers of a queue declared through it, for redrive and FIFO handling. */
export interface KnownQueue {
  readonly deadLetterQueue?: string;
  readonly maxReceiveCount?: number;
  readonly fifo: boolean;
}

/**
 * Declares queues (durable; FIFO ones with a single active consumer), topics (durable headers
 * exchanges, so a manifest or attribute filter is an exact header match, whatever characters it
 * holds) and bindings, and the per-delay queues that retries and delayed sends wait in.
 */
export class Topology {
  private readonly queues = new Map<string, KnownQueue>();
  private readonly delayQueues = new Map<string, number>();
  private channel?: Promise<Channel>;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly keeper: ConnectionKeeper) {}

  known(queue: string): KnownQueue | undefined {
    return this.queues.get(queue);
  }

  /**
   * The queue and, first, its dead-letter queue, as SQS declares both: dead letters are published
   * to it by name, and the broker refuses a message for a queue that does not exist. A name ending
   * in `.fifo` makes a FIFO queue, as on SQS; the dead-letter queue's own name says whether it is
   * one, so declaring it again as a queue of its own finds it as it is.
   */
  async declareQueue(spec: QueueSpec, defaultMaxReceiveCount?: number): Promise<void> {
    const fifo = spec.fifo ?? spec.name.endsWith('.fifo');
    const { deadLetterQueue } = spec;
    if (deadLetterQueue !== undefined) await this.assertQueue(deadLetterQueue, deadLetterQueue.endsWith('.fifo'));
    await this.assertQueue(spec.name, fifo);
    this.queues.set(spec.name, {
      deadLetterQueue,
      maxReceiveCount: spec.maxReceiveCount ?? defaultMaxReceiveCount,
      fifo,
    });
  }

  private assertQueue(name: string, fifo: boolean): Promise<void> {
    const args: Record<string, unknown> = fifo ? { 'x-single-active-consumer': true } : {};
    return this.run(name, (channel) => channel.assertQueue(name, { durable: true, arguments: args }));
  }

  async declareTopic(spec: TopicSpec): Promise<void> {
    await this.run(spec.name, (channel) => channel.assertExchange(spec.name, 'headers', { durable: true }));
  }

  /** Bindings add up: a manifest dropped from the spec keeps its binding until it is removed on the broker. */
  async declareSubscription(spec: SubscriptionSpec): Promise<void> {
    const bindings = bindingsOf(spec);
    await this.run(`${spec.topic} → ${spec.queue}`, async (channel) => {
      for (const binding of bindings) await channel.bindQueue(spec.queue, spec.topic, '', binding);
    });
  }

  /** The queue a message waits `delayMs` in before the broker dead-letters it back onto `queue`. */
  async delayQueue(queue: string, delayMs: number): Promise<string> {
    const ttl = delayBucket(delayMs);
    const name = `${queue}.melange-delay.${ttl}ms`;
    const declaredAt = this.delayQueues.get(name);
    if (declaredAt !== undefined && Date.now() - declaredAt < DELAY_QUEUE_REDECLARE_MS) return name;
    const args = {
      'x-message-ttl': ttl,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
      'x-expires': DELAY_QUEUE_IDLE_MS + ttl,
    };
    await this.run(name, (channel) => channel.assertQueue(name, { durable: true, arguments: args }));
    this.delayQueues.set(name, Date.now());
    return name;
  }

  async close(): Promise<void> {
    const channel = await this.channel?.catch(() => undefined);
    this.channel = undefined;
    await channel?.close().catch(() => undefined);
  }

  /**
   * One declaration at a time, though callers declare many at once: a failed declaration closes
   * the channel (AMQP's rule), which would fail the others on it with no reason of their own. The
   * next one opens another channel.
   */
  private run(resource: string, declare: (channel: Channel) => Promise<unknown>): Promise<void> {
    const turn = this.tail.then(() => this.runNow(resource, declare));
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  private async runNow(resource: string, declare: (channel: Channel) => Promise<unknown>): Promise<void> {
    const channel = await this.open();
    try {
      await declare(channel);
    } catch (error) {
      this.channel = undefined;
      const code = (error as { code?: unknown }).code;
      if (code === 406) throw new InfrastructureError(resource, `it exists on the broker with other settings (${describeThrown(error)}); delete it there or declare it as it is`);
      if (code === 404) throw new InfrastructureError(resource, `what it refers to does not exist (${describeThrown(error)}); declare queues and topics before subscriptions`);
      throw error;
    }
  }

  private open(): Promise<Channel> {
    const opened = (this.channel ??= this.keeper.open().then(async (connection) => {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === opened) this.channel = undefined;
      });
      return channel;
    }));
    opened.catch(() => {
      if (this.channel === opened) this.channel = undefined;
    });
    return opened;
  }
}

/** Two significant digits: backoff with jitter would otherwise make a queue per millisecond. */
export function delayBucket(delayMs: number): number {
  const ms = Math.max(1, Math.ceil(delayMs));
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(ms)) - 1);
  return Math.ceil(ms / magnitude) * magnitude;
}

type FilterValue = string | number | boolean;

/** One headers-exchange binding per combination of allowed values (x-match all): exact equality, OR across bindings. */
export function bindingsOf(spec: SubscriptionSpec): Array<Record<string, FilterValue>> {
  const dimensions: Array<[string, FilterValue[]]> = [];
  if (spec.manifests) dimensions.push([MANIFEST_HEADER, [...spec.manifests]]);
  for (const [name, allowed] of Object.entries(spec.filterPolicy ?? {})) {
    if (name === MANIFEST_HEADER && spec.manifests) throw new RabbitMqFilterPolicyError(spec.topic, spec.queue, `both "manifests" and a filterPolicy key "${MANIFEST_HEADER}" are given; keep one`);
    dimensions.push([name, filterValues(spec, name, allowed)]);
  }
  let bindings: Array<Record<string, FilterValue>> = [{ 'x-match': 'all' }];
  for (const [name, values] of dimensions) {
    bindings = bindings.flatMap((binding) => values.map((value) => ({ ...binding, [name]: typeof value === 'string' ? value : String(value) })));
  }
  return bindings;
}

function filterValues(spec: SubscriptionSpec, name: string, allowed: unknown): FilterValue[] {
  const values = Array.isArray(allowed) ? allowed : [allowed];
  const exact = values.every((value) => ['string', 'number', 'boolean'].includes(typeof value));
  if (!exact || values.length === 0) {
    throw new RabbitMqFilterPolicyError(
      spec.topic,
      spec.queue,
      `filterPolicy key "${name}" must list exact values (strings, numbers or booleans); RabbitMQ's headers exchange matches nothing else`,
    );
  }
  return values as FilterValue[];
}
