import assert from 'node:assert/strict';
import { envelopeOf, labelOf, Recorder, sleep } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function roundTripSpecs(specs: SpecRegistry): void {
  specs.spec('send → consume keeps payload, manifest, serializer id, message id and attributes; an ack is final', async (h) => {
    const { queue } = await h.queue('round-trip');
    const sent = envelopeOf('héllo ✓', {
      attributes: { tenant: 'acme', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });
    const result = await h.backend.send(queue, sent);
    assert.equal(result.messageId, sent.messageId);
    const recorder = new Recorder();
    h.consume(queue, recorder.handler);
    const [delivery] = await recorder.waitForCount(1, h.timeoutMs);
    assert.equal(delivery.queue, queue);
    assert.equal(delivery.undecodable, undefined);
    assert.equal(delivery.receiveCount, 1);
    assert.equal(delivery.envelope.payload, sent.payload);
    assert.equal(delivery.envelope.manifest, sent.manifest);
    assert.equal(delivery.envelope.serializerId, sent.serializerId);
    assert.equal(delivery.envelope.messageId, sent.messageId);
    assert.equal(delivery.envelope.attributes.tenant, 'acme');
    assert.equal(delivery.envelope.attributes.traceparent, sent.attributes.traceparent);
    // Longer than the 1 s visibility timeout: an ack that did not reach the broker shows here.
    await sleep(1800);
    assert.equal(recorder.deliveries.length, 1, 'an acknowledged message was delivered again');
  });

  specs.spec('a foreign message without manifest or serializer id arrives without them', async (h) => {
    const { queue } = await h.queue('foreign');
    await h.backend.send(queue, { payload: '{"from":"elsewhere"}', messageId: 'foreign-1', attributes: {} });
    const recorder = new Recorder();
    h.consume(queue, recorder.handler);
    const [delivery] = await recorder.waitForCount(1, h.timeoutMs);
    assert.equal(delivery.envelope.payload, '{"from":"elsewhere"}');
    assert.equal(delivery.envelope.manifest, undefined);
    assert.equal(delivery.envelope.serializerId, undefined);
    assert.equal(typeof delivery.envelope.messageId, 'string');
    assert.ok(delivery.envelope.messageId.length > 0);
  });

  specs.spec('200 messages sent at once all arrive', async (h) => {
    const { queue } = await h.queue('volume');
    const labels = Array.from({ length: 200 }, (_, index) => `m${index}`);
    await Promise.all(labels.map((label) => h.backend.send(queue, envelopeOf(label))));
    const recorder = new Recorder();
    h.consume(queue, recorder.handler, 10);
    await recorder.waitForCount(200, h.timeoutMs * 2);
    assert.deepEqual(new Set(recorder.deliveries.map(labelOf)), new Set(labels));
  });

  specs.spec(
    'send with delaySeconds holds the message back for about that long',
    async (h) => {
      const { queue } = await h.queue('delayed');
      const recorder = new Recorder();
      h.consume(queue, recorder.handler);
      const sentAt = Date.now();
      await h.backend.send(queue, envelopeOf('later'), { delaySeconds: 1 });
      await recorder.waitForCount(1, h.timeoutMs);
      assert.ok(recorder.arrivedAt[0] - sentAt >= 900, `arrived after ${recorder.arrivedAt[0] - sentAt} ms, expected at least 1 s`);
    },
    { capability: 'delayedSend' },
  );
}
