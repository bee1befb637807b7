import type { Delivery } from '../../lib/backends/messaging-backend';
import { deferred } from '../support/recorder';
import { BackendFactory, envelope, plainSqs, queueAttributes, uniqueName, waitFor } from '../support/sqs';

/*
 * A poller receives as soon as one slot is free: slow handlers hold their own slots and nothing
 * else. Before, a poller waited until min(10, concurrency) slots were all free, so at concurrency
 * 10 one slow handler held back every message behind it.
 */
describe('receiving into free slots', () => {
  const factory = new BackendFactory();
  const sqs = plainSqs();
  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it.each([1, 5, 10, 32])('at concurrency %i, a message sent while slow handlers hold all slots but one starts within a second', async (concurrency) => {
    const backend = factory.create({ waitTimeSeconds: 1 });
    const queue = uniqueName(`free-slots-${concurrency}`);
    await backend.declareQueue({ name: queue, visibilityTimeout: 60 });
    const gate = deferred();
    const started = new Map<string, number>();
    const consumer = backend.consume(
      queue,
      async (delivery: Delivery) => {
        started.set(delivery.envelope.payload, Date.now());
        if (delivery.envelope.payload.startsWith('slow')) await gate.promise;
        await delivery.ack();
      },
      { concurrency },
    );
    try {
      const slow = concurrency - 1;
      for (let index = 0; index < slow; index++) await backend.send(queue, envelope({ payload: `slow-${index}` }));
      await waitFor(() => started.size === slow, 10_000, `${slow} slow handlers running`);

      const sentAt = Date.now();
      await backend.send(queue, envelope({ payload: 'fast' }));
      await waitFor(() => started.has('fast'), 5_000, 'the fast message to start');

      expect(started.get('fast')! - sentAt).toBeLessThan(1000);
      // The fast message counts as in flight until the broker confirms its delete; then only the slow ones are.
      await waitFor(() => consumer.status().inFlight === concurrency - 1, 5_000, `in flight: the ${concurrency - 1} slow handlers only`);
    } finally {
      gate.resolve();
      await consumer.stop();
    }
  });

  it('holds a message back while every slot is taken, and starts it within a second of one freeing up', async () => {
    const backend = factory.create({ waitTimeSeconds: 1 });
    const queue = uniqueName('free-slots-full');
    await backend.declareQueue({ name: queue, visibilityTimeout: 60 });
    const gates = [deferred(), deferred(), deferred()];
    const started = new Map<string, number>();
    const consumer = backend.consume(
      queue,
      async (delivery: Delivery) => {
        const { payload } = delivery.envelope;
        started.set(payload, Date.now());
        if (payload.startsWith('slow')) await gates[Number(payload.slice(5))]!.promise;
        await delivery.ack();
      },
      { concurrency: 3 },
    );
    try {
      for (const index of [0, 1, 2]) await backend.send(queue, envelope({ payload: `slow-${index}` }));
      await waitFor(() => started.size === 3, 10_000, 'three slow handlers running');
      expect(consumer.status().saturated).toBe(true);
      await backend.send(queue, envelope({ payload: 'fast' }));

      // No slot is free, so no poller receives: the message waits on the queue, where another consumer could take it.
      expect((await queueAttributes(sqs, queue)).ApproximateNumberOfMessages).toBe('1');
      expect(started.has('fast')).toBe(false);
      const freedAt = Date.now();
      gates[1]!.resolve();
      await waitFor(() => started.has('fast'), 5_000, 'the fast message to start');

      expect(started.get('fast')! - freedAt).toBeLessThan(1000);
    } finally {
      for (const gate of gates) gate.resolve();
      await consumer.stop();
    }
  });
});
