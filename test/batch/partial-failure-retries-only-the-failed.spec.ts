import { Injectable } from '@nestjs/common';
import { MessageConsumer, NonRetryableError, OnMessageBatch, type BatchFailure, type BatchResult, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item, items } from './batch-harness';

/** Odd items fail on their first attempt (by message id); item 7 always fails; item 9 is rejected for good (by index). */
function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer({ queue, retry: { maxAttempts: 3, initialDelayMs: 0 } })
  class ItemsConsumer {
    readonly calls = new Recorder<string>();

    @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: 300 })
    handle(batch: Item[], contexts: MessageContext[]): BatchResult {
      for (const [index, item] of batch.entries()) this.calls.record(`${item.id}#${contexts[index]!.receiveCount}`);
      return {
        failures: batch.flatMap((item, index): BatchFailure[] => {
          const { messageId, receiveCount } = contexts[index]!;
          if (item.id === 9) return [{ index, error: new NonRetryableError('item 9 is wrong') }];
          if (item.id === 7) return [{ messageId, error: new Error('item 7 keeps failing') }];
          return item.id % 2 === 1 && receiveCount === 1 ? [{ messageId }] : [];
        }),
      };
    }
  }
  return ItemsConsumer;
}

describe.each(BACKENDS)('a batch handler on %s whose result names failed messages', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('acknowledges the others, retries the failed ones alone, and dead-letters per the retry policy', async () => {
    harness = new BatchHarness(kind, 'batch-partial');
    const ids = await harness.publish(items(10));
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer] });

    const deadLettered = (item: number) => item === 7 || item === 9;
    const [seven, nine] = await Promise.all([events.waitFor('dead-lettered', ids[7], 15_000), events.waitFor('dead-lettered', ids[9], 15_000)]);
    await Promise.all(ids.filter((_, item) => !deadLettered(item)).map((id) => events.waitFor('handled', id, 15_000)));

    const calls = app.get(Consumer).calls.items;
    const attemptsOf = (item: number) => calls.filter((call) => call.startsWith(`${item}#`));
    for (const even of [0, 2, 4, 6, 8]) expect(attemptsOf(even)).toEqual([`${even}#1`]);
    for (const odd of [1, 3, 5]) expect(attemptsOf(odd)).toEqual([`${odd}#1`, `${odd}#2`]);
    expect(attemptsOf(7)).toEqual(['7#1', '7#2', '7#3']);
    expect(attemptsOf(9)).toEqual(['9#1']);
    expect(events.of('retried').map(({ messageId }) => ids.indexOf(messageId)).sort()).toEqual([1, 3, 5, 7, 7]);
    expect(events.of('handled')).toHaveLength(8);
    expect(seven.reason).toMatch(/ItemsConsumer\.handle failed on attempt 3: .*item 7 keeps failing \(no attempts left of 3\)/);
    expect(nine.reason).toMatch(/ItemsConsumer\.handle failed on attempt 1: .*item 9 is wrong \(not retryable\)/);
    const [unnamed] = events.of('retried', ids[1]);
    expect(unnamed!.reason).toContain('the batch handler reported this message as failed');
  });

  it('fails every message of the batch when the handler throws', async () => {
    harness = new BatchHarness(kind, 'batch-throws');
    @Injectable()
    @MessageConsumer(harness.queue)
    class ThrowingConsumer {
      readonly sizes = new Recorder<number>();
      @OnMessageBatch(Item, { maxSize: 4, maxWaitMs: 300 })
      handle(batch: Item[], contexts: MessageContext[]): void {
        this.sizes.record(batch.length);
        if (contexts.some((context) => context.receiveCount === 1)) throw new Error('bulk insert failed');
      }
    }
    const ids = await harness.publish(items(4));
    const { app, events } = await harness.start({ providers: [ThrowingConsumer] });

    await Promise.all(ids.map((id) => events.waitFor('handled', id, 15_000)));
    // 'retried' comes once the broker confirmed the retry, which can be after the message came back and was handled.
    await Promise.all(ids.map((id) => events.waitFor('retried', id, 15_000)));

    expect(events.of('retried').map(({ messageId }) => messageId).sort()).toEqual([...ids].sort());
    expect(events.of('retried').every(({ reason }) => reason.includes('bulk insert failed'))).toBe(true);
    expect(app.get(ThrowingConsumer).sizes.items.reduce((sum, size) => sum + size, 0)).toBe(8);
  });
});
