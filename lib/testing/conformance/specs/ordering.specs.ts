import assert from 'node:assert/strict';
import { envelopeOf, labelOf, Recorder, sleep, waitFor } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function orderingSpecs(specs: SpecRegistry): void {
  specs.spec(
    'a FIFO queue runs one message per group at a time, in order, a retry included; groups run side by side',
    async (h) => {
      const { queue } = await h.queue('ordered', { fifo: true });
      const groups = ['g1', 'g2', 'g3'];
      for (let index = 0; index < 5; index++) {
        for (const group of groups) {
          await h.backend.send(queue, envelopeOf(`${group}:${index}`), { groupId: group, deduplicationId: `${group}-${index}` });
        }
      }
      const busy = new Set<string>();
      const handled: Record<string, number[]> = { g1: [], g2: [], g3: [] };
      let overlapInGroup = false;
      let groupsAtOnce = 0;
      const wrongGroups: string[] = [];
      const recorder = new Recorder(async (delivery) => {
        const [group, index] = labelOf(delivery).split(':');
        if (delivery.groupId !== group) wrongGroups.push(`${labelOf(delivery)} came with groupId ${String(delivery.groupId)}`);
        if (busy.has(group)) overlapInGroup = true;
        busy.add(group);
        groupsAtOnce = Math.max(groupsAtOnce, busy.size);
        await sleep(40);
        busy.delete(group);
        if (group === 'g1' && index === '2' && delivery.receiveCount === 1) return delivery.retry(300);
        handled[group].push(Number(index));
        await delivery.ack();
      });
      h.consume(queue, recorder.handler, 4);
      await recorder.waitForCount(16, h.timeoutMs * 2);
      await waitFor(() => Object.values(handled).flat().length === 15, h.timeoutMs, 'the last handler to finish');
      assert.deepEqual(wrongGroups, []);
      assert.equal(overlapInGroup, false, 'two messages of one group ran at once');
      for (const group of groups) assert.deepEqual(handled[group], [0, 1, 2, 3, 4], `group ${group} out of order`);
      assert.ok(groupsAtOnce > 1, 'groups never ran side by side');
    },
    { capability: 'orderedGroups' },
  );
}
