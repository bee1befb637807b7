import type { MelangeEventMap, MelangeEventName, MelangeEvents } from '../../lib';

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

/** Resolves once `condition()` holds, checking every 20 ms; rejects after `timeoutMs`, naming `what` it waited for. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

const EVENT_NAMES: readonly MelangeEventName[] = [
  'published',
  'publish-failed',
  'received',
  'handled',
  'retried',
  'dead-lettered',
  'decode-failed',
  'discarded',
  'duplicate',
  'outbox-relayed',
  'outbox-relay-failed',
];

type SeenEvent = { [K in MelangeEventName]: { readonly name: K; readonly event: MelangeEventMap[K] } }[MelangeEventName];

/**
 * Records what an application's `MelangeEvents` report from the moment it is created, and lets a
 * spec await an outcome, already seen or still to come, instead of sleeping. Create it before the
 * action whose outcome the spec awaits.
 */
export class EventLog {
  readonly seen: SeenEvent[] = [];
  private waiters: { matches: (entry: SeenEvent) => boolean; resolve: (entry: SeenEvent) => void }[] = [];
  private readonly unsubscribe: (() => void)[];

  constructor(events: MelangeEvents, names: readonly MelangeEventName[] = EVENT_NAMES) {
    this.unsubscribe = names.map((name) => events.on(name, (event) => this.record({ name, event } as SeenEvent)));
  }

  /** The `name` events seen so far, oldest first; only those of one message when `messageId` is given. */
  of<K extends MelangeEventName>(name: K, messageId?: string): MelangeEventMap[K][] {
    return this.seen
      .filter((entry) => entry.name === name && (messageId === undefined || entry.event.messageId === messageId))
      .map((entry) => entry.event as MelangeEventMap[K]);
  }

  /**
   * Resolves with the first `name` event, past or future, of the message whose id `match` is, or
   * that satisfies `match`; rejects after `timeoutMs`, listing the events that were seen.
   */
  waitFor<K extends MelangeEventName>(
    name: K,
    match: string | ((event: MelangeEventMap[K]) => boolean) = () => true,
    timeoutMs = 5000,
  ): Promise<MelangeEventMap[K]> {
    const accepts = typeof match === 'string' ? (event: MelangeEventMap[K]) => event.messageId === match : match;
    const matches = (entry: SeenEvent) => entry.name === name && accepts(entry.event as MelangeEventMap[K]);
    const past = this.seen.find(matches);
    if (past) return Promise.resolve(past.event as MelangeEventMap[K]);
    const wanted = typeof match === 'string' ? `"${name}" for message ${match}` : `a matching "${name}"`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== entry);
        const seen = this.seen.map((event) => `${event.name} ${event.event.messageId}`).join(', ') || 'nothing';
        reject(new Error(`No ${wanted} event within ${timeoutMs} ms; seen: ${seen}`));
      }, timeoutMs);
      const entry = {
        matches,
        resolve: (seen: SeenEvent) => {
          clearTimeout(timer);
          resolve(seen.event as MelangeEventMap[K]);
        },
      };
      this.waiters.push(entry);
    });
  }

  /** Stops listening; what was seen stays readable. */
  close(): void {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private record(entry: SeenEvent): void {
    this.seen.push(entry);
    const ready = this.waiters.filter((waiter) => waiter.matches(entry));
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(entry);
  }
}
