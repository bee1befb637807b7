import type { RedriveProgress } from '../admin/admin.types';

const WIDTH = 30;

/**
 * Redrive progress on stderr, so stdout keeps only the result: a bar redrawn in place on a
 * terminal, and a line at each tenth of the way in a log (CI), where redrawing would only add noise.
 */
export class ProgressBar {
  private lastTenth = -1;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(progress: RedriveProgress): void {
    const done = progress.moved + progress.skipped + progress.failed;
    const fraction = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const text = `${progress.moved} moved, ${progress.skipped} skipped, ${progress.failed} failed${this.total > 0 ? ` of about ${this.total}` : ''}`;
    if (this.stream.isTTY) {
      const filled = Math.round(fraction * WIDTH);
      this.stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${Math.round(fraction * 100)}% ${text}\u001b[K`);
      this.drawn = true;
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > this.lastTenth) {
      this.lastTenth = tenth;
      this.stream.write(`redrive: ${text}\n`);
    }
  }

  finish(): void {
    if (this.drawn) this.stream.write('\n');
  }
}
