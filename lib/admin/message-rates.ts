import type { MelangeEvents } from '../observability/melange-events';

/** Messages per minute, by outcome. */
export interface MessageRates {
  readonly handled: number;
  readonly retried: number;
  readonly deadLettered: number;
}

export interface RecentRates {
  /** Counted over the last minute. */
  readonly lastMinute: MessageRates;
  /** Averaged per minute over the last five. */
  readonly lastFiveMinutes: MessageRates;
}

type Outcome = keyof MessageRates;

const BUCKET_MS = 10_000;
const BUCKETS = 30;
const BUCKETS_PER_MINUTE = 6;

interface Bucket {
  start: number;
  readonly counts: Record<Outcome, number>;
}

/**
 * Counts handled, retried and dead-lettered messages per queue from MelangeEvents, in ten-second
 * buckets over five minutes: enough for "is it moving" without keeping every event. Counts what
 * this process saw only; other replicas of the app count their own.
 */
export class MessageRateTracker {
  /** By backend, then queue: a nested look-up builds no key string per message. */
  private readonly series = new Map<string, Map<string, Bucket[]>>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(private readonly now: () => number = Date.now) {}

  attach(events: MelangeEvents): void {
    this.unsubscribe.push(
      events.on('handled', (event) => this.count(event.backend, event.queue, 'handled')),
      events.on('retried', (event) => this.count(event.backend, event.queue, 'retried')),
      events.on('dead-lettered', (event) => this.count(event.backend, event.queue, 'deadLettered')),
    );
  }

  detach(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  rates(backend: string, queue: string): RecentRates {
    const buckets = this.series.get(backend)?.get(queue) ?? [];
    const current = this.bucketStart();
    const sum = (fromAgeBuckets: number, divisor: number): MessageRates => {
      const oldest = current - (fromAgeBuckets - 1) * BUCKET_MS;
      const recent = buckets.filter((bucket) => bucket.start >= oldest);
      const total = (outcome: Outcome): number => recent.reduce((acc, bucket) => acc + bucket.counts[outcome], 0) / divisor;
      return { handled: total('handled'), retried: total('retried'), deadLettered: total('deadLettered') };
    };
    return { lastMinute: sum(BUCKETS_PER_MINUTE, 1), lastFiveMinutes: sum(BUCKETS, BUCKETS / BUCKETS_PER_MINUTE) };
  }

  private count(backend: string, queue: string, outcome: Outcome): void {
    let queues = this.series.get(backend);
    if (!queues) {
      queues = new Map();
      this.series.set(backend, queues);
    }
    let buckets = queues.get(queue);
    if (!buckets) {
      buckets = [];
      queues.set(queue, buckets);
    }
    const start = this.bucketStart();
    let last = buckets[buckets.length - 1];
    if (!last || last.start !== start) {
      last = { start, counts: { handled: 0, retried: 0, deadLettered: 0 } };
      buckets.push(last);
      while (buckets.length > 0 && buckets[0]!.start <= start - BUCKETS * BUCKET_MS) buckets.shift();
    }
    last.counts[outcome] += 1;
  }

  private bucketStart(): number {
    const now = this.now();
    return now - (now % BUCKET_MS);
  }
}
