import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { plainSqs, queueAttributes, uniqueName, waitFor } from '../support/sqs';
import { ConsumerProcess, FaultPublisher, ids, tally } from './fault-support';

const TOTAL = 2000;
const KILLS = 3;
/** Short, so messages in flight at a kill come back soon. */
const VISIBILITY_TIMEOUT_S = 2;

/** Three kill points, in handled ids, each between 10 % and 80 % of the total and 100 apart at least. */
function killPoints(): number[] {
  for (;;) {
    const points = Array.from({ length: KILLS }, () => Math.round(TOTAL * (0.1 + Math.random() * 0.7))).sort((a, b) => a - b);
    if (points.every((point, index) => index === 0 || point - points[index - 1]! >= 100)) return points;
  }
}

describe('a consumer killed with SIGKILL three times and restarted', () => {
  const queue = uniqueName('faults-sigkill');
  const dir = mkdtempSync(join(tmpdir(), 'melange-sigkill-'));
  const files: string[] = [];
  const processes: ConsumerProcess[] = [];
  let publisher: FaultPublisher;
  let sqs: SQSClient;

  /** Every line of every run's record file: one per handled delivery. */
  const recorded = (): string[] =>
    files.flatMap((file) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []));
  const recordedIn = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

  beforeAll(async () => {
    sqs = plainSqs();
    publisher = await FaultPublisher.create([{ name: queue, visibilityTimeout: VISIBILITY_TIMEOUT_S }]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stopNow()));
    await publisher?.close();
    sqs?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('handles every one of the 2000 messages at least once', async () => {
    const expected = ids(TOTAL, 'm');
    const startedAt = Date.now();
    await publisher.publishIds(queue, expected);
    const points = killPoints();
    console.log(`published ${TOTAL} in ${Date.now() - startedAt} ms; SIGKILL after ${points.join(', ')} distinct ids handled`);

    const start = (run: number): { child: ConsumerProcess; file: string } => {
      const file = join(dir, `run-${run}.log`);
      files.push(file);
      const child = new ConsumerProcess(`consumer run ${run}`, {
        FAULT_QUEUE: queue,
        FAULT_RECORD_FILE: file,
        FAULT_CONCURRENCY: '32',
        FAULT_HANDLER_JITTER_MS: '20',
      });
      processes.push(child);
      return { child, file };
    };

    for (let run = 0; run < KILLS; run++) {
      const { child, file } = start(run);
      const point = points[run]!;
      // Killed in the middle of its work: once the ids handled so far reach the point, and not before it handled some itself.
      await waitFor(
        () => !child.running || (new Set(recorded()).size >= point && recordedIn(file) > 0),
        45_000,
        `${point} distinct ids handled (run ${run}: ${recordedIn(file)}, all runs: ${new Set(recorded()).size})`,
      );
      expect(child.running).toBe(true);
      child.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal).toBe('SIGKILL');
      console.log(`run ${run}: killed after handling ${recordedIn(file)} (distinct so far ${new Set(recorded()).size})`);
    }

    // The last run finishes the work: every id handled, and nothing left on the queue, in flight or not.
    const { child: last, file: lastFile } = start(KILLS);
    let left: Record<string, string> = {};
    await waitFor(() => !last.running || new Set(recorded()).size >= TOTAL, 60_000, `all ${TOTAL} ids handled (got ${new Set(recorded()).size})`);
    const deadline = Date.now() + 20_000;
    for (;;) {
      left = await queueAttributes(sqs, queue);
      if (left.ApproximateNumberOfMessages === '0' && left.ApproximateNumberOfMessagesNotVisible === '0') break;
      if (Date.now() > deadline || !last.running) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(last.running).toBe(true);
    last.kill('SIGTERM');
    const exit = await last.exited;
    console.log(`run ${KILLS}: handled ${recordedIn(lastFile)}, ended by ${exit.signal ?? exit.code}`);

    const counts = tally(recorded());
    const missing = expected.filter((id) => !counts.has(id));
    const unknown = [...counts.keys()].filter((id) => !expected.includes(id));
    const twice = [...counts.values()].filter((count) => count === 2).length;
    const more = [...counts.values()].filter((count) => count > 2).length;
    console.log(
      `${TOTAL} messages, ${recorded().length} handler runs over ${KILLS + 1} processes in ${Date.now() - startedAt} ms: ` +
        `${twice} handled twice, ${more} more than twice`,
    );

    expect(missing).toEqual([]);
    expect(unknown).toEqual([]);
    expect({ visible: left.ApproximateNumberOfMessages, inFlight: left.ApproximateNumberOfMessagesNotVisible }).toEqual({ visible: '0', inFlight: '0' });
    expect(exit.signal).toBe('SIGTERM');
    expect(last.errors).not.toMatch(/ERROR/);
  }, 120_000);
});
