/** Collects what handlers saw, and lets a spec wait until enough has arrived. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { count: number; resolve: () => void }[] = [];

  record(item: T): void {
    this.items.push(item);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.items.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  /** Resolves once `count` items have been recorded; rejects after `timeoutMs`, naming what did arrive. */
  async waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
    if (this.items.length >= count) return this.items;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`expected ${count} items within ${timeoutMs} ms, got ${this.items.length}: ${JSON.stringify(this.items)}`)),
        timeoutMs,
      );
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
    return this.items;
  }
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
