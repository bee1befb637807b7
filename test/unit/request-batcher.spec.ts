import { RequestBatcher, type BatchSender, type EntryOutcome } from '../../lib/backends/sqs/request-batcher';
import { deferred } from '../support/recorder';

/** A sender that records each request's inputs and answers ok with the input doubled, except what `refuse` names. */
function recordingSender(refuse: (input: number) => boolean = () => false) {
  const requests: number[][] = [];
  const send: BatchSender<number, number> = async (inputs) => {
    requests.push([...inputs]);
    return inputs.map((input): EntryOutcome<number> => (refuse(input) ? { ok: false, error: new Error(`refused ${input}`) } : { ok: true, value: input * 2 }));
  };
  return { requests, send };
}

describe('RequestBatcher', () => {
  it('puts calls made in the same tick into one request and gives each caller its own result', async () => {
    const { requests, send } = recordingSender();
    const batcher = new RequestBatcher({ maxEntries: 10, maxBytes: Infinity, windowMs: 0, serial: false, send });

    const results = await Promise.all([1, 2, 3].map((input) => batcher.add(input, 1)));

    expect(results).toEqual([2, 4, 6]);
    expect(requests).toEqual([[1, 2, 3]]);
  });

  it('starts a new request at maxEntries and before maxBytes would be passed', async () => {
    const { requests, send } = recordingSender();
    const byCount = new RequestBatcher({ maxEntries: 2, maxBytes: Infinity, windowMs: 0, serial: false, send });
    await Promise.all([1, 2, 3, 4, 5].map((input) => byCount.add(input, 1)));
    expect(requests.splice(0)).toEqual([[1, 2], [3, 4], [5]]);

    const bySize = new RequestBatcher({ maxEntries: 10, maxBytes: 100, windowMs: 0, serial: false, send });
    await Promise.all([1, 2, 3].map((input) => bySize.add(input, 60)));
    expect(requests).toEqual([[1], [2], [3]]);
  });

  it('rejects only the entries the broker refused, and every entry when the request itself fails', async () => {
    const partial = new RequestBatcher({ maxEntries: 10, maxBytes: Infinity, windowMs: 0, serial: false, send: recordingSender((input) => input === 2).send });
    const settled = await Promise.allSettled([1, 2, 3].map((input) => partial.add(input, 1)));
    expect(settled.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error('refused 2'));

    const failing = new RequestBatcher<number, number>({
      maxEntries: 10,
      maxBytes: Infinity,
      windowMs: 0,
      serial: false,
      send: async () => {
        throw 'network down';
      },
    });
    const all = await Promise.allSettled([1, 2].map((input) => failing.add(input, 1)));
    expect(all.map((result) => result.status === 'rejected' && (result.reason as Error).message)).toEqual(['network down', 'network down']);
  });

  it('with serial, sends the next request only after the previous one settled, in order', async () => {
    const first = deferred();
    const order: string[] = [];
    const batcher = new RequestBatcher<number, number>({
      maxEntries: 1,
      maxBytes: Infinity,
      windowMs: 0,
      serial: true,
      send: async ([input]) => {
        order.push(`start ${input}`);
        if (input === 1) await first.promise;
        order.push(`end ${input}`);
        return [{ ok: true, value: input! }];
      },
    });

    const both = Promise.all([batcher.add(1, 1), batcher.add(2, 1)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['start 1']);
    first.resolve();
    await both;

    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('drain() sends what waits and resolves once every request has settled', async () => {
    const release = deferred();
    let settled = 0;
    const batcher = new RequestBatcher<number, number>({
      maxEntries: 10,
      maxBytes: Infinity,
      windowMs: 60_000,
      serial: false,
      send: async (inputs) => {
        await release.promise;
        settled += inputs.length;
        return inputs.map((input) => ({ ok: true, value: input }));
      },
    });
    const added = batcher.add(7, 1);

    const drained = batcher.drain();
    release.resolve();
    await drained;

    expect(settled).toBe(1);
    await expect(added).resolves.toBe(7);
  });
});
