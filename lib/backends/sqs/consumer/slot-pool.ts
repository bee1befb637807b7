/**
 * A consumer's handler slots: `size` messages at most are held at once, received and not yet
 * settled. Pollers take free slots before a receive, so the consumer never holds a message it
 * cannot start: a message in a local buffer is one no other consumer can take.
 */
export class SlotPool {
  private used = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  get free(): number {
    return this.size - this.used;
  }

  /** Every slot is taken: the pollers wait for one, so not receiving is by design. */
  get saturated(): boolean {
    return this.used >= this.size;
  }

  /** Takes up to `max` free slots now; returns how many. */
  take(max: number): number {
    const taken = Math.max(0, Math.min(max, this.free));
    this.used += taken;
    return taken;
  }

  release(count: number): void {
    if (count <= 0) return;
    this.used -= count;
    this.wakeAll();
  }

  /** Resolves once at least `count` slots are free, or at the next `wakeAll()`; callers check again. */
  whenFree(count: number): Promise<void> {
    if (this.free >= count) return Promise.resolve();
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Wakes every waiter: they re-check what they wait for (few waiters: one per poller). */
  wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
