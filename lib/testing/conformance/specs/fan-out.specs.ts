import assert from 'node:assert/strict';
import { envelopeOf, labelOf, Recorder, sleep } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function fanOutSpecs(specs: SpecRegistry): void {
  specs.spec('publish fans out to every subscribed queue, filtered by manifest', async (h) => {
    const topic = h.name('topic');
    await h.backend.declareTopic({ name: topic });
    const { queue: onlyA } = await h.queue('only-a');
    const { queue: aOrB } = await h.queue('a-or-b');
    const { queue: all } = await h.queue('all');
    await h.backend.declareSubscription({ topic, queue: onlyA, manifests: ['conformance.a'] });
    await h.backend.declareSubscription({ topic, queue: aOrB, manifests: ['conformance.a', 'conformance.b'] });
    await h.backend.declareSubscription({ topic, queue: all });
    for (const manifest of ['conformance.a', 'conformance.b', 'conformance.c']) {
      await h.backend.publish(topic, envelopeOf(manifest, { manifest }));
    }
    const recorders = { onlyA: new Recorder(), aOrB: new Recorder(), all: new Recorder() };
    h.consume(onlyA, recorders.onlyA.handler);
    h.consume(aOrB, recorders.aOrB.handler);
    h.consume(all, recorders.all.handler);
    await recorders.all.waitForCount(3, h.timeoutMs);
    await recorders.aOrB.waitForCount(2, h.timeoutMs);
    await recorders.onlyA.waitForCount(1, h.timeoutMs);
    await sleep(500);
    assert.deepEqual(recorders.onlyA.labels(), ['conformance.a']);
    assert.deepEqual(recorders.aOrB.labels().sort(), ['conformance.a', 'conformance.b']);
    assert.deepEqual(recorders.all.labels().sort(), ['conformance.a', 'conformance.b', 'conformance.c']);
    const delivered = recorders.all.deliveries.find((delivery) => labelOf(delivery) === 'conformance.b');
    assert.equal(delivered?.envelope.manifest, 'conformance.b');
    assert.equal(delivered?.envelope.serializerId, 1);
  });

  specs.spec('publishing to a topic nobody subscribed to succeeds', async (h) => {
    const topic = h.name('lonely');
    await h.backend.declareTopic({ name: topic });
    const envelope = envelopeOf('nobody');
    const result = await h.backend.publish(topic, envelope);
    assert.equal(result.messageId, envelope.messageId);
  });

  specs.spec(
    'a filter policy on an attribute lets only matching messages through',
    async (h) => {
      const topic = h.name('filtered');
      await h.backend.declareTopic({ name: topic });
      const { queue } = await h.queue('eu-only');
      await h.backend.declareSubscription({ topic, queue, filterPolicy: { region: ['eu'] } });
      await h.backend.publish(topic, envelopeOf('us', { attributes: { region: 'us' } }));
      await h.backend.publish(topic, envelopeOf('eu', { attributes: { region: 'eu' } }));
      const recorder = new Recorder();
      h.consume(queue, recorder.handler);
      await recorder.waitForCount(1, h.timeoutMs);
      await sleep(500);
      assert.deepEqual(recorder.labels(), ['eu']);
    },
    { capability: 'filterPolicy' },
  );
}
