import { sleep, uniqueName, waitFor } from '../support/sqs';
import { ConsumerProcess, FaultPublisher, ids, tally } from './fault-support';

const TOTAL = 100;
/** Handlers take 400–600 ms, so slots free up one by one and a receive is often in progress at the signal. */
const HANDLER_MS = 400;
const HANDLER_JITTER_MS = 200;
const SHUTDOWN_TIMEOUT_MS = 5000;
/** Process start-up aside, exit takes the in-flight handlers (≤ 600 ms) plus the long poll in progress (≤ 1 s). */
const EXIT_MARGIN_MS = 3000;
/**
 * Long on purpose: a message the draining process left invisible would not come back before the
 * spec gives up, so "unstarted messages are handed back at once" is checked, not just "eventually".
 */
const VISIBILITY_TIMEOUT_S = 60;

/** Ids in the 'start <id>' / 'done <id>' lines among `lines`. */
function handlerLines(lines: readonly string[], kind: 'start' | 'done'): string[] {
  return lines.filter((line) => line.startsWith(`${kind} `)).map((line) => line.slice(kind.length + 1));
}

describe('SIGTERM while a consumer process is under load', () => {
  const queue = uniqueName('faults-drain');
  const processes: ConsumerProcess[] = [];
  let publisher: FaultPublisher;

  beforeAll(async () => {
    publisher = await FaultPublisher.create([{ name: queue, visibilityTimeout: VISIBILITY_TIMEOUT_S }]);
  });

  afterAll(async () => {
    await Promise.all(processes.map((child) => child.stopNow()));
    await publisher?.close();
  });

  it('finishes the handlers in flight, starts no other, exits in time, and leaves the rest to the next consumer', async () => {
    const expected = ids(TOTAL, 'd');
    await publisher.publishIds(queue, expected);
    const consumer = (label: string, concurrency: number): ConsumerProcess => {
      const child = new ConsumerProcess(label, {
        FAULT_QUEUE: queue,
        FAULT_CONCURRENCY: String(concurrency),
        FAULT_HANDLER_MS: String(HANDLER_MS),
        FAULT_HANDLER_JITTER_MS: String(HANDLER_JITTER_MS),
        FAULT_PRINT_HANDLERS: '1',
        FAULT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      });
      processes.push(child);
      return child;
    };

    // The first consumer: signalled at a random moment once it has handled a few, with five handlers running.
    const first = consumer('first consumer', 5);
    await waitFor(() => handlerLines(first.lines, 'start').length >= 7 || !first.running, 30_000, 'the first consumer to start 7 handlers');
    await sleep(Math.random() * 1000);
    const signalledAt = Date.now();
    first.kill('SIGTERM');
    const exit = await first.exited;
    const exitMs = exit.at - signalledAt;

    const signalLine = first.lines.indexOf('sigterm');
    const beforeSignal = first.lines.slice(0, signalLine);
    const afterSignal = first.lines.slice(signalLine + 1);
    const started = handlerLines(first.lines, 'start');
    const done = handlerLines(first.lines, 'done');
    const inFlightAtSignal = handlerLines(beforeSignal, 'start').filter((id) => !handlerLines(beforeSignal, 'done').includes(id));
    console.log(
      `first consumer: SIGTERM after ${handlerLines(beforeSignal, 'start').length} starts, ${inFlightAtSignal.length} in flight ` +
        `(${inFlightAtSignal.join(' ')}); exited by ${exit.signal ?? exit.code} ${exitMs} ms later, having finished ${done.length}`,
    );

    expect(signalLine).toBeGreaterThanOrEqual(0);
    expect(inFlightAtSignal.length).toBeGreaterThan(0);
    // No handler starts after the signal...
    expect(handlerLines(afterSignal, 'start')).toEqual([]);
    // ...and every one that had started completes.
    expect([...done].sort()).toEqual([...started].sort());
    expect(handlerLines(afterSignal, 'done').sort()).toEqual([...inFlightAtSignal].sort());
    // Nest re-raises the signal once its shutdown hooks are done.
    expect(exit.signal).toBe('SIGTERM');
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + EXIT_MARGIN_MS);
    // Nest writes warnings on stdout and errors on stderr: no "handlers still running" warning, no error.
    expect(`${first.lines.join('\n')}\n${first.errors}`).not.toMatch(/still running|ERROR/);

    // The second consumer, started afterwards, gets all the rest at once: none is left invisible.
    const second = consumer('second consumer', 20);
    const doneByBoth = (): Set<string> => new Set([...done, ...handlerLines(second.lines, 'done')]);
    await waitFor(
      () => doneByBoth().size >= TOTAL || !second.running,
      30_000,
      `the second consumer to handle the rest (done ${doneByBoth().size} of ${TOTAL})`,
    );
    second.kill('SIGTERM');
    const secondExit = await second.exited;

    const counts = tally([...done, ...handlerLines(second.lines, 'done')]);
    const duplicates = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    console.log(
      `second consumer: handled ${handlerLines(second.lines, 'done').length}, exited by ${secondExit.signal ?? secondExit.code}; ` +
        `handled twice across both: ${duplicates.length}${duplicates.length ? ` (${duplicates.join(' ')})` : ''}`,
    );

    expect(expected.filter((id) => !counts.has(id))).toEqual([]);
    // A graceful drain acks what it finished, so nothing is handled twice.
    expect(duplicates).toEqual([]);
    expect(handlerLines(second.lines, 'start').filter((id) => done.includes(id))).toEqual([]);
    expect(secondExit.signal).toBe('SIGTERM');
  }, 90_000);
});
