import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import type { Delivery } from '../../lib/backends/messaging-backend';
import { BackendFactory, DeliveryRecorder, envelope, sleep, uniqueName } from '../support/sqs';

function sequenceOf(delivery: Delivery): number {
  return (JSON.parse(delivery.envelope.payload) as { sequence: number }).sequence;
}

describe('FIFO ordering', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;

  beforeAll(() => {
    backend = factory.create();
  });

  afterAll(() => factory.closeAll());

  const groups = ['alpha', 'beta', 'gamma'];
  const perGroup = 6;

  function ordered(deliveries: readonly Delivery[]): Record<string, number[]> {
    const byGroup: Record<string, number[]> = {};
    for (const delivery of deliveries) {
      (byGroup[delivery.groupId ?? '?'] ??= []).push(sequenceOf(delivery));
    }
    return byGroup;
  }

  const expected = Object.fromEntries(groups.map((group) => [group, Array.from({ length: perGroup }, (_, index) => index)]));

  it('delivers each group in order, one at a time, while groups run in parallel', async () => {
    const queue = uniqueName('fifo', true);
    await backend.declareQueue({ name: queue });
    const busyGroups = new Set<string>();
    let overlapWithinGroup = false;
    let mostGroupsAtOnce = 0;
    const recorder = new DeliveryRecorder(async (delivery) => {
      const group = delivery.groupId ?? '?';
      overlapWithinGroup ||= busyGroups.has(group);
      busyGroups.add(group);
      mostGroupsAtOnce = Math.max(mostGroupsAtOnce, busyGroups.size);
      await sleep(5 + Math.random() * 20);
      busyGroups.delete(group);
      await delivery.ack();
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 3 });

    const sends = [];
    for (let sequence = 0; sequence < perGroup; sequence++) {
      for (const group of groups) {
        sends.push(backend.send(queue, envelope({ payload: JSON.stringify({ sequence }) }), { groupId: group }));
      }
    }
    await Promise.all(sends);
    const deliveries = await recorder.waitForCount(groups.length * perGroup);
    await consumer.stop();

    expect(ordered(deliveries)).toEqual(expected);
    expect(overlapWithinGroup).toBe(false);
    expect(mostGroupsAtOnce).toBeGreaterThan(1);
  });

  it('keeps the order when a message is retried: later ones of its group wait for it', async () => {
    const queue = uniqueName('fifo-retry', true);
    await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder((delivery) =>
      delivery.groupId === 'alpha' && sequenceOf(delivery) === 2 && delivery.receiveCount === 1
        ? delivery.retry(0)
        : delivery.ack(),
    );
    for (let sequence = 0; sequence < perGroup; sequence++) {
      await Promise.all(
        groups.map((group) => backend.send(queue, envelope({ payload: JSON.stringify({ sequence }) }), { groupId: group })),
      );
    }

    const consumer = backend.consume(queue, recorder.handler, { concurrency: 3 });
    const deliveries = await recorder.waitForCount(groups.length * perGroup + 1);
    await consumer.stop();

    const alpha = deliveries.filter((delivery) => delivery.groupId === 'alpha').map(sequenceOf);
    expect(alpha).toEqual([0, 1, 2, 2, 3, 4, 5]);
    const { alpha: _retried, ...others } = ordered(deliveries);
    expect(others).toEqual({ beta: expected.beta, gamma: expected.gamma });
  });

  it('keeps the order from a FIFO topic to a FIFO queue', async () => {
    const topic = uniqueName('fifo-topic', true);
    const queue = uniqueName('fifo-topic-queue', true);
    await backend.declareQueue({ name: queue });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue, rawDelivery: true });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 3 });

    await Promise.all(
      Array.from({ length: perGroup }, (_, sequence) =>
        groups.map((group) => backend.publish(topic, envelope({ payload: JSON.stringify({ sequence }) }), { groupId: group })),
      ).flat(),
    );
    const deliveries = await recorder.waitForCount(groups.length * perGroup);
    await consumer.stop();

    expect(ordered(deliveries)).toEqual(expected);
  });
});
