import { StoreOutage, type OutageBackoff, type OutageClock } from '../../lib/idempotency/store-outage';
import { CapturingLogger } from '../support/capturing-logger';
import { IdempotencyStoreTimeoutError } from '../../lib/errors';

/** Time that passes only when the code under test pauses, so the backoff is checked without waiting. */
class ManualClock implements OutageClock {
  readonly pauses: number[] = [];
  private time = 0;

  now(): number {
    return this.time;
  }

  async pause(ms: number, signal?: AbortSignal): Promise<void> {
    this.pauses.push(ms);
    if (!signal?.aborted) this.time += ms;
  }
}

const BACKOFF: OutageBackoff = { firstDelayMs: 100, maxDelayMs: 5000, maxWaitMs: 60_000 };
const down = (): Promise<never> => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));

/** A store that fails its first `failures` requests, then answers `value`. */
function failing<T>(failures: number, value: T): () => Promise<T> {
  let left = failures;
  return () => (left-- > 0 ? down() : Promise.resolve(value));
}

describe('the claim while the idempotency store is down', () => {
  it('is asked again after pauses doubling from 100 ms up to 5 s, until the store answers', async () => {
    const clock = new ManualClock();
    const outage = new StoreOutage(BACKOFF, new CapturingLogger(), clock);

    const answer = await outage.ask(failing(8, 'started'), 'message m1');

    expect(answer).toEqual({ answered: true, value: 'started' });
    expect(clock.pauses).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it('gives up once the message has waited maxWaitMs, the last pause cut to fit, with the last error', async () => {
    const clock = new ManualClock();
    const outage = new StoreOutage({ ...BACKOFF, maxWaitMs: 12_000 }, new CapturingLogger(), clock);

    const answer = await outage.ask(down, 'message m1');

    expect(clock.pauses).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 700]);
    expect(answer).toMatchObject({ answered: false, waitedMs: 12_000, lastError: new Error('connect ECONNREFUSED 127.0.0.1:6379') });
  });

  it('with maxWaitMs 0, asks once and gives up', async () => {
    const clock = new ManualClock();
    const outage = new StoreOutage({ ...BACKOFF, maxWaitMs: 0 }, new CapturingLogger(), clock);

    expect(await outage.ask(down, 'message m1')).toMatchObject({ answered: false, waitedMs: 0 });
    expect(clock.pauses).toEqual([]);
  });

  it('stops waiting when its signal aborts, and asks no more', async () => {
    const clock = new ManualClock();
    const outage = new StoreOutage(BACKOFF, new CapturingLogger(), clock);
    const stopping = new AbortController();
    let requests = 0;
    const request = (): Promise<never> => {
      if (++requests === 3) stopping.abort();
      return down();
    };

    const answer = await outage.ask(request, 'message m1', stopping.signal);

    expect({ answered: answer.answered, requests, pauses: clock.pauses }).toEqual({ answered: false, requests: 3, pauses: [100, 200] });
  });

  it('counts a request that never answers against the wait, and names the timeout', async () => {
    // Real time here: the request hangs, as one does on a silent network.
    const outage = new StoreOutage({ firstDelayMs: 5, maxDelayMs: 10, maxWaitMs: 40 }, new CapturingLogger());

    const answer = await outage.ask(() => new Promise<never>(() => undefined), 'message m1');

    expect(answer.answered).toBe(false);
    expect(answer.answered === false && answer.lastError).toBeInstanceOf(IdempotencyStoreTimeoutError);
    expect(answer.answered === false && answer.waitedMs).toBeGreaterThanOrEqual(40);
  });

  it('logs one line when an outage starts and one when the store answers, however many messages wait and ask', async () => {
    const clock = new ManualClock();
    const logger = new CapturingLogger();
    const outage = new StoreOutage(BACKOFF, logger, clock);

    await Promise.all(['m1', 'm2', 'm3'].map((id) => outage.ask(failing(4, 'started'), `message ${id}`)));

    expect(logger.lines).toEqual([
      {
        level: 'warn',
        message:
          'The idempotency store failed (Error: connect ECONNREFUSED 127.0.0.1:6379), first for message m1. Messages are held unhandled, ' +
          'their visibility renewed, while their claim is retried for up to 60000 ms each (consumers.idempotency.storeOutageMaxWaitMs); ' +
          'logged again when the store answers.',
      },
      { level: 'log', message: expect.stringMatching(/^The idempotency store answers again after \d+ ms; 3 message\(s\) waited on it meanwhile\.$/) },
    ]);
  });

  it('logs nothing while the store answers', async () => {
    const logger = new CapturingLogger();
    const outage = new StoreOutage(BACKOFF, logger, new ManualClock());

    await outage.ask(() => Promise.resolve('started'), 'message m1');

    expect(logger.lines).toEqual([]);
  });
});
