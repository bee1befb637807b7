import { SlotPool } from '../../lib/backends/sqs/consumer/slot-pool';

/** Resolves to true if `promise` settles within a few microtask turns (no timers: some tests fake them). */
async function settledNow(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  for (let turn = 0; turn < 5; turn++) await Promise.resolve();
  return settled;
}

describe('SlotPool', () => {
  it('wakes a waiter only once as many slots as it waits for are free', async () => {
    const pool = new SlotPool(4);
    expect(pool.take(4)).toBe(4);
    const wantsThree = pool.whenFree(3);
    const wantsOne = pool.whenFree(1);

    pool.release(1);
    expect(await settledNow(wantsOne)).toBe(true);
    expect(await settledNow(wantsThree)).toBe(false);

    pool.release(2);
    expect(await settledNow(wantsThree)).toBe(true);
    expect(pool.free).toBe(3);
  });

  it('does not wake two waiters with the same free slots: the second would get what the first leaves', async () => {
    const pool = new SlotPool(32);
    pool.take(32);
    const first = pool.whenFree(10);
    const second = pool.whenFree(10);

    pool.release(12);
    expect(await settledNow(first)).toBe(true);
    expect(await settledNow(second)).toBe(false);
    expect(pool.take(10)).toBe(10);

    pool.release(8);
    expect(await settledNow(second)).toBe(true);
    expect(pool.take(10)).toBe(10);
  });

  it('wakes a waiter with a deadline when it passes, however few slots are free', async () => {
    jest.useFakeTimers();
    try {
      const pool = new SlotPool(10);
      pool.take(10);
      const gathering = pool.whenFree(10, 10);
      pool.release(2);
      jest.advanceTimersByTime(9);
      expect(await settledNow(gathering)).toBe(false);
      jest.advanceTimersByTime(1);
      expect(await settledNow(gathering)).toBe(true);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('clears the deadline of a waiter woken by freed slots', () => {
    jest.useFakeTimers();
    try {
      const pool = new SlotPool(10);
      pool.take(10);
      void pool.whenFree(5, 10);
      expect(jest.getTimerCount()).toBe(1);
      pool.release(5);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('wakes a waiter for more slots than the pool has once all of them are free', async () => {
    const pool = new SlotPool(3);
    pool.take(3);
    const wantsTen = pool.whenFree(10);
    pool.release(3);
    expect(await settledNow(wantsTen)).toBe(true);
  });

  it('wakes every waiter on wakeAll (pause, stop), free slots or not', async () => {
    const pool = new SlotPool(2);
    pool.take(2);
    const waiters = [pool.whenFree(1), pool.whenFree(2, 60_000)];
    pool.wakeAll();
    expect(await Promise.all(waiters.map(settledNow))).toEqual([true, true]);
  });
});
