/** A poller waiting for `count` free slots. */
interface Waiter {
  readonly count: number;
  readonly wake: () => void;
  timer?: NodeJS.Timeout;
}

/**
 * A consumer's handler slots: `size` messages at most are held at once, received and not yet
 * settled. Pollers take free slots before a receive, so the consumer never holds a message it
 * cannot start: a message in a local buffer is one no other consumer can take.
 */
export class SlotPool {
  private used = 0;
  private waiters: Waiter[] = [];

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

  /**
   * Frees slots and wakes only the waiters that now have theirs: a slot freed per message must not
   * send every waiting poller round its loop (and a gathering one through a new timer) each time.
   * The slots a woken waiter will take are not counted for the next one: two pollers woken by the
   * same 12 free slots would make a receive of 10 and a receive of 2.
   */
  release(count: number): void {
    if (count <= 0) return;
    this.used -= count;
    if (!this.waiters.some(this.hasSlots)) return;
    let unclaimed = this.free;
    this.wake((waiter) => {
      if (waiter.count > unclaimed) return false;
      unclaimed -= waiter.count;
      return true;
    });
  }

  /**
   * Resolves once at least `count` slots are free, at the next `wakeAll()`, or when `withinMs`
   * has passed; callers check again.
   */
  whenFree(count: number, withinMs?: number): Promise<void> {
    if (this.free >= count) return Promise.resolve();
    return new Promise<void>((resolve) => {
      // More than the pool holds would never come: all of it will do.
      const waiter: Waiter = { count: Math.min(count, this.size), wake: resolve };
      if (withinMs !== undefined) waiter.timer = setTimeout(() => this.wake((other) => other === waiter), withinMs);
      this.waiters.push(waiter);
    });
  }

  /** Wakes every waiter (pause, stop): they re-check what they wait for. */
  wakeAll(): void {
    this.wake(() => true);
  }

  // Made once: release() runs for every message, and most find no waiter due.
  private readonly hasSlots = (waiter: Waiter): boolean => waiter.count <= this.free;

  private wake(due: (waiter: Waiter) => boolean): void {
    const waiting: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (!due(waiter)) {
        waiting.push(waiter);
        continue;
      }
      clearTimeout(waiter.timer);
      waiter.wake();
    }
    this.waiters = waiting;
  }
}

/**
 * One received message's slot, given back once: early by an ack whose delete is on its way, or at
 * the end of the message's run. An object, not a closure pair: one is made per message.
 */
export class MessageSlot {
  private freed = false;

  constructor(private readonly pool: SlotPool) {}

  free(): void {
    if (this.freed) return;
    this.freed = true;
    this.pool.release(1);
  }
}
