/**
 * Where a consumer remembers which messages it has handled, so a message delivered twice (SQS is
 * at-least-once; SNS fan-out and publisher retries add their own) runs its handler once.
 *
 * A key goes through two states: "in progress" while a handler runs, with a lease that ends by
 * itself if the consumer dies, and "done" once the handler succeeded, kept for `ttlMs`.
 */
export interface IdempotencyStore {
  /**
   * Claims `key` for `leaseMs`. 'started': the caller may run the handler. 'in-progress': another
   * delivery holds the lease (or a crashed one did, until it runs out). 'done': already handled.
   */
  begin(key: string, leaseMs: number): Promise<'started' | 'in-progress' | 'done'>;
  /** The handler succeeded: remember it for `ttlMs`. */
  complete(key: string, ttlMs: number): Promise<void>;
  /** The handler failed: forget the claim so the next delivery runs it again. */
  abandon(key: string): Promise<void>;
}

interface Entry {
  readonly state: 'in-progress' | 'done';
  readonly expiresAt: number;
}

/**
 * In one process's memory: right for a single consumer process and for tests. Entries expire, and
 * the oldest are dropped beyond `maxEntries`, so memory stays bounded.
 */
export class InMemoryIdempotencyStore implements IdempotencyStore {
  // A Map iterates in insertion order, which makes it a cheap oldest-first queue.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(key: string, leaseMs: number): Promise<'started' | 'in-progress' | 'done'> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.now()) return entry.state;
    this.set(key, { state: 'in-progress', expiresAt: this.now() + leaseMs });
    return 'started';
  }

  async complete(key: string, ttlMs: number): Promise<void> {
    this.set(key, { state: 'done', expiresAt: this.now() + ttlMs });
  }

  async abandon(key: string): Promise<void> {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private set(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
