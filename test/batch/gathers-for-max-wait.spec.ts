import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessageBatch } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item, items } from './batch-harness';

const MAX_WAIT_MS = 400;

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class ItemsConsumer {
    readonly batches = new Recorder<{ ids: number[]; at: number }>();

    @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: MAX_WAIT_MS })
    handle(batch: Item[]): void {
      this.batches.record({ ids: batch.map((item) => item.id), at: performance.now() });
    }
  }
  return ItemsConsumer;
}

describe.each(BACKENDS)('a batch handler on %s', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('runs a batch that does not fill once its first message has waited maxWaitMs, with what arrived meanwhile', async () => {
    harness = new BatchHarness(kind, 'batch-wait');
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer] });
    let firstReceivedAt: number | undefined;
    events.waitFor('received').then(() => (firstReceivedAt ??= performance.now()), () => undefined);

    await harness.publish(items(3));
    const [batch] = await app.get(Consumer).batches.waitFor(1, 10_000);
    await Promise.all(events.of('received').map(({ messageId }) => events.waitFor('handled', messageId)));

    expect(batch!.ids.sort()).toEqual([0, 1, 2]);
    // Timers may fire a millisecond early by the performance clock.
    expect(batch!.at - firstReceivedAt!).toBeGreaterThanOrEqual(MAX_WAIT_MS - 5);
    expect(events.of('handled')).toHaveLength(3);
  });
});
