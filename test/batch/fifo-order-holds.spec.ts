import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessageBatch, type BatchResult, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item } from './batch-harness';

const GROUPS = ['alpha', 'beta', 'gamma'];
const PER_GROUP = 5;

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class GroupsConsumer {
    /** One entry per call: `group:id` of each message, in the order the batch holds them. */
    readonly calls = new Recorder<string[]>();

    @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: 50 })
    handle(batch: Item[], contexts: MessageContext[]): BatchResult {
      this.calls.record(batch.map((item, index) => `${contexts[index]!.groupId}:${item.id}`));
      // The second message of alpha fails on its first attempt.
      return { failures: contexts.flatMap(({ groupId, receiveCount, messageId }, index) => (groupId === 'alpha' && batch[index]!.id === 1 && receiveCount === 1 ? [{ messageId }] : [])) };
    }
  }
  return GroupsConsumer;
}

describe.each(BACKENDS)('a batch handler on a FIFO queue on %s', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('never holds two messages of one group, keeps each group in order, and a failure holds back the rest of its group', async () => {
    harness = new BatchHarness(kind, 'batch-fifo', true);
    const messages = Array.from({ length: PER_GROUP }, (_, id) => GROUPS.map((group) => Object.assign(new Item(), { id, group }))).flat();
    const ids = await harness.publish(messages, (message) => ({ groupId: (message as Item).group }));
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer] });

    await Promise.all(ids.map((id) => events.waitFor('handled', id, 20_000)));

    const calls = app.get(Consumer).calls.items;
    for (const call of calls) {
      const groups = call.map((entry) => entry.split(':')[0]);
      expect(new Set(groups).size).toBe(groups.length);
    }
    const attemptsOf = (group: string) => calls.flat().filter((entry) => entry.startsWith(`${group}:`)).map((entry) => Number(entry.split(':')[1]));
    expect(attemptsOf('alpha')).toEqual([0, 1, 1, 2, 3, 4]);
    expect(attemptsOf('beta')).toEqual([0, 1, 2, 3, 4]);
    expect(attemptsOf('gamma')).toEqual([0, 1, 2, 3, 4]);
    // Batches did gather across groups: the FIFO rule limits a batch to one message per group, not to one message.
    expect(Math.max(...calls.map((call) => call.length))).toBeGreaterThan(1);
  });
});
