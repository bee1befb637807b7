import assert from 'node:assert/strict';
import { envelopeOf, Recorder } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function redeliverySpecs(specs: SpecRegistry): void {
  specs.spec('a handler that fails without a decision gets the message again, receiveCount 2', async (h) => {
    const { queue } = await h.queue('at-least-once');
    await h.backend.send(queue, envelopeOf('fails-once'));
    const recorder = new Recorder(async (delivery, self) => {
      if (self.deliveries.length === 1) throw new Error('the handler failed');
      await delivery.ack();
    });
    h.consume(queue, recorder.handler);
    const [first, second] = await recorder.waitForCount(2, h.timeoutMs);
    assert.equal(second.envelope.messageId, first.envelope.messageId);
    assert.equal(first.receiveCount, 1);
    assert.equal(second.receiveCount, 2);
  });

  specs.spec('retry(delayMs) brings the message back after about the delay, receiveCount + 1', async (h) => {
    const { queue } = await h.queue('backoff');
    await h.backend.send(queue, envelopeOf('retried', { attributes: { tenant: 'acme' } }));
    const delayMs = 1000;
    const recorder = new Recorder(async (delivery) => (delivery.receiveCount < 3 ? delivery.retry(delayMs) : delivery.ack()));
    h.consume(queue, recorder.handler);
    const deliveries = await recorder.waitForCount(3, h.timeoutMs);
    assert.deepEqual(
      deliveries.map((delivery) => delivery.receiveCount),
      [1, 2, 3],
    );
    for (const index of [1, 2]) {
      const waited = recorder.arrivedAt[index] - recorder.arrivedAt[index - 1];
      // Brokers may round a delay up to their own granularity (SQS: whole seconds); never down by much.
      assert.ok(waited >= delayMs * 0.8, `came back after ${waited} ms, asked for ${delayMs}`);
      assert.ok(waited <= delayMs + 4000, `came back after ${waited} ms, asked for ${delayMs}`);
      assert.equal(deliveries[index].envelope.messageId, deliveries[0].envelope.messageId);
      assert.equal(deliveries[index].envelope.payload, deliveries[0].envelope.payload);
      assert.equal(deliveries[index].envelope.attributes.tenant, 'acme');
    }
  });

  specs.spec(
    'after maxReceiveCount receives the broker moves the message to the dead-letter queue',
    async (h) => {
      const { queue, deadLetterQueue } = await h.queue('redrive', { deadLetter: true, maxReceiveCount: 2 });
      const sent = envelopeOf('poison');
      await h.backend.send(queue, sent);
      const main = new Recorder(async (delivery) => delivery.retry(0));
      const dead = new Recorder();
      h.consume(queue, main.handler);
      h.consume(deadLetterQueue!, dead.handler);
      const [moved] = await dead.waitForCount(1, h.timeoutMs);
      assert.equal(moved.envelope.messageId, sent.messageId);
      assert.equal(main.deliveries.length, 2, `received ${main.deliveries.length} times with maxReceiveCount 2`);
    },
    { capability: 'maxReceiveCount' },
  );
}
