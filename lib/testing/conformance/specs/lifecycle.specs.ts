import assert from 'node:assert/strict';
import { envelopeOf, labelOf, Recorder, sleep } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function lifecycleSpecs(specs: SpecRegistry): void {
  specs.spec('stop() waits for running handlers; what was not handled goes to the next consumer', async (h) => {
    const { queue } = await h.queue('drain');
    const labels = Array.from({ length: 6 }, (_, index) => `m${index}`);
    for (const label of labels) await h.backend.send(queue, envelopeOf(label));
    const finished: string[] = [];
    const first = new Recorder(async (delivery) => {
      await sleep(400);
      await delivery.ack();
      finished.push(labelOf(delivery));
    });
    const handle = h.consume(queue, first.handler, 2);
    await first.waitForCount(1, h.timeoutMs);
    await handle.stop();
    assert.equal(handle.status().state, 'stopped');
    assert.equal(handle.status().inFlight, 0);
    assert.deepEqual([...finished].sort(), first.labels().sort(), 'stop() resolved before its handlers finished');
    const startedBeforeStop = first.deliveries.length;
    const second = new Recorder();
    h.consume(queue, second.handler, 2);
    await second.waitForCount(labels.length - startedBeforeStop, h.timeoutMs);
    assert.deepEqual(new Set([...first.labels(), ...second.labels()]), new Set(labels));
    assert.equal(first.deliveries.length, startedBeforeStop, 'a stopped consumer took another message');
  });

  specs.spec('stop() of an idle consumer is quick', async (h) => {
    const { queue } = await h.queue('idle');
    const handle = h.consume(queue, new Recorder().handler);
    await sleep(300);
    const startedAt = Date.now();
    await handle.stop();
    const took = Date.now() - startedAt;
    assert.ok(took < 2500, `stop() took ${took} ms with nothing to drain`);
    assert.equal(handle.status().state, 'stopped');
  });

  specs.spec('pause() stops receiving until resume()', async (h) => {
    const { queue } = await h.queue('pause');
    const recorder = new Recorder();
    const handle = h.consume(queue, recorder.handler);
    handle.pause();
    assert.equal(handle.status().state, 'paused');
    // A receive already under way when pause() was called may still finish; let it.
    await sleep(1500);
    await h.backend.send(queue, envelopeOf('while-paused'));
    await sleep(1500);
    assert.equal(recorder.deliveries.length, 0, 'a paused consumer received a message');
    handle.resume();
    assert.equal(handle.status().state, 'running');
    await recorder.waitForCount(1, h.timeoutMs);
  });
}
