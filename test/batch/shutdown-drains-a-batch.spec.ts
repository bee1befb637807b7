import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessageBatch } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item, items } from './batch-harness';

const SHUTDOWN_TIMEOUT_MS = 5000;

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class ItemsConsumer {
    readonly batches = new Recorder<number[]>();

    // A window far longer than the shutdown timeout: only the drain can run this batch in time.
    @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: 60_000 })
    async handle(batch: Item[]): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, 50));
      this.batches.record(batch.map((item) => item.id));
    }
  }
  return ItemsConsumer;
}

describe.each(BACKENDS)('app.close() with a batch handler on %s', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('runs the partly gathered batch at once and waits for it, instead of leaving it to wait out maxWaitMs', async () => {
    harness = new BatchHarness(kind, 'batch-shutdown');
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer], consumers: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS } });
    const ids = await harness.publish(items(3));
    await Promise.all(ids.map((id) => events.waitFor('received', id, 10_000)));
    const consumer = app.get(Consumer);
    expect(consumer.batches.items).toEqual([]);

    const closingAt = Date.now();
    await app.close();

    expect(Date.now() - closingAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(consumer.batches.items.map((batch) => batch.sort())).toEqual([[0, 1, 2]]);
    expect(events.of('handled').map(({ messageId }) => messageId).sort()).toEqual([...ids].sort());
  });
});
