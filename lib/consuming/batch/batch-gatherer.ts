/** How one batch handler gathers: at most `maxSize` items, the first waiting at most `maxWaitMs`. */
export interface GatherLimits {
  readonly maxSize: number;
  readonly maxWaitMs: number;
}

interface Gathering<T> {
  readonly items: T[];
  timer?: NodeJS.Timeout;
}

/**
 * Gathers items per key (one key per batch handler) and hands each gathering to `run` once it
 * holds `maxSize` items or its first item has waited `maxWaitMs`. Gatherings run independently:
 * one batch running does not hold up the next. Draining runs what is gathered at once, and from
 * then on each gathering runs as soon as the items arriving together have joined it.
 */
export class BatchGatherer<K, T> {
  private readonly open = new Map<K, Gathering<T>>();
  private draining = false;

  constructor(private readonly run: (key: K, items: T[]) => void) {}

  add(key: K, limits: GatherLimits, item: T): void {
    let gathering = this.open.get(key);
    if (!gathering) {
      const created: Gathering<T> = { items: [] };
      gathering = created;
      this.open.set(key, created);
      created.timer = setTimeout(() => this.flush(key, created), this.draining ? 0 : limits.maxWaitMs);
    }
    gathering.items.push(item);
    if (gathering.items.length >= limits.maxSize) this.flush(key, gathering);
  }

  /** Runs every gathering now, full or not. */
  flushAll(): void {
    for (const [key, gathering] of [...this.open]) this.flush(key, gathering);
  }

  /** For shutdown: nothing waits for company any more, so the consumer's drain is not held up. */
  drain(): void {
    this.draining = true;
    this.flushAll();
  }

  private flush(key: K, gathering: Gathering<T>): void {
    if (this.open.get(key) !== gathering) return;
    clearTimeout(gathering.timer);
    this.open.delete(key);
    this.run(key, gathering.items);
  }
}
