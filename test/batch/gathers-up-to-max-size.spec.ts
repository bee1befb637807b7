import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessageBatch, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item, items } from './batch-harness';

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class ItemsConsumer {
    readonly batches = new Recorder<number[]>();

    @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: 2000 })
    handle(batch: Item[], contexts: MessageContext[]): void {
      expect(batch.every((item) => item instanceof Item)).toBe(true);
      expect(contexts.map((context) => context.messageId)).toHaveLength(batch.length);
      this.batches.record(batch.map((item) => item.id));
    }
  }
  return ItemsConsumer;
}

describe.each(BACKENDS)('a batch handler on %s', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('is called with maxSize messages as soon as that many are held, without waiting out maxWaitMs', async () => {
    harness = new BatchHarness(kind, 'batch-size');
    await harness.publish(items(25));
    const Consumer = consumerOf(harness.queue);
    const startedAt = Date.now();
    const { app } = await harness.start({ providers: [Consumer] });
    const consumer = app.get(Consumer);

    await consumer.batches.waitFor(2, 10_000);
    const fullBatchesAfterMs = Date.now() - startedAt;
    const batches = await consumer.batches.waitFor(3, 10_000);

    expect(batches.slice(0, 2).map((batch) => batch.length)).toEqual([10, 10]);
    expect(batches[2]).toHaveLength(5);
    expect(batches.flat().sort((a, b) => a - b)).toEqual(items(25).map((item) => item.id));
    // The two full batches did not wait for the 2 s window; the last, partial one did.
    expect(fullBatchesAfterMs).toBeLessThan(2000);
  });
});
