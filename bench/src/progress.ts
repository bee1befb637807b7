import { measured } from './hooks';

/**
 * Counts handled messages. Throughput and CPU are taken between the first and the last message
 * handled, so each contender's start-up (Nest bootstrap, queue URL look-up, first long poll) is
 * left out and every contender is measured on the same thing: its steady pipeline.
 */
export class Progress {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  private cpuAtFirst: NodeJS.CpuUsage | undefined;
  private cpuAtLast: NodeJS.CpuUsage | undefined;
  /** Set when a run is capped: what is handled after the cap does not count. */
  private closed = false;
  private resolveDone!: () => void;
  readonly done: Promise<void>;

  constructor(readonly target: number) {
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  }

  /** Called after every tick, for callers that pace themselves on progress. */
  onTick: (() => void) | undefined;

  tick(): void {
    if (this.closed) return;
    const now = performance.now();
    this.count++;
    this.onTick?.();
    if (this.count === 1) {
      this.firstAt = now;
      this.cpuAtFirst = process.cpuUsage();
      measured.start();
    }
    this.lastAt = now;
    if (this.count === this.target) {
      this.cpuAtLast = process.cpuUsage();
      measured.stop();
      this.resolveDone();
    }
  }

  /** Messages per second between the first and the last message handled. */
  rate(): number {
    if (this.count < 2) return 0;
    return ((this.count - 1) * 1000) / (this.lastAt - this.firstAt);
  }

  /** Microseconds of this process's CPU (user + system) per message, over the same span. */
  cpuPerMessage(): number {
    const end = this.cpuAtLast ?? process.cpuUsage();
    if (!this.cpuAtFirst || this.count < 2) return Number.NaN;
    const used = end.user - this.cpuAtFirst.user + (end.system - this.cpuAtFirst.system);
    return used / (this.count - 1);
  }

  /** Waits for the target or `capMs` after the first message, whichever comes first. */
  async finish(capMs: number, startTimeoutMs = 60_000): Promise<{ capped: boolean }> {
    const started = Date.now();
    while (this.count === 0) {
      if (Date.now() - started > startTimeoutMs) throw new Error(`no message handled within ${startTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    let timer: NodeJS.Timeout | undefined;
    const capped = await Promise.race([
      this.done.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), capMs))),
    ]);
    clearTimeout(timer);
    if (capped) {
      // Rated up to the cap, not the last message: a contender stalled at the end (slow handlers
      // holding every slot) is rated on the stall too.
      this.closed = true;
      this.lastAt = performance.now();
      this.cpuAtLast = process.cpuUsage();
      measured.stop();
    }
    return { capped };
  }
}
