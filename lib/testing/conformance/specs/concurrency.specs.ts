import assert from 'node:assert/strict';
import { envelopeOf, labelOf, Recorder, sleep, waitFor } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function concurrencySpecs(specs: SpecRegistry): void {
  specs.spec('never more handlers at once than the concurrency, and every slot is used', async (h) => {
    const { queue } = await h.queue('bounded');
    const concurrency = 3;
    await Promise.all(Array.from({ length: 12 }, (_, index) => h.backend.send(queue, envelopeOf(`m${index}`))));
    let running = 0;
    let peak = 0;
    let sawSaturated = false;
    let mostInFlight = 0;
    const recorder = new Recorder(async (delivery) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(300);
      const status = handle.status();
      sawSaturated ||= status.saturated;
      mostInFlight = Math.max(mostInFlight, status.inFlight);
      running -= 1;
      await delivery.ack();
    });
    const handle = h.consume(queue, recorder.handler, concurrency);
    await recorder.waitForCount(12, h.timeoutMs);
    await waitFor(() => running === 0, h.timeoutMs, 'the last handlers to finish');
    assert.equal(peak, concurrency, `at most ${peak} handlers ran at once, with concurrency ${concurrency}`);
    assert.ok(mostInFlight <= concurrency * 2, `status().inFlight reached ${mostInFlight} with concurrency ${concurrency}`);
    assert.ok(sawSaturated, 'status().saturated was never true while every slot was taken');
  });

  specs.spec('a slow handler does not hold up messages the other slots can run', async (h) => {
    const { queue } = await h.queue('free-slot');
    let releaseSlow: () => void = () => undefined;
    const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
    const recorder = new Recorder(async (delivery) => {
      if (labelOf(delivery) === 'slow') await slowReleased;
      await delivery.ack();
    });
    h.consume(queue, recorder.handler, 2);
    await h.backend.send(queue, envelopeOf('slow'));
    await recorder.waitForCount(1, h.timeoutMs);
    for (let index = 0; index < 6; index++) await h.backend.send(queue, envelopeOf(`fast${index}`));
    try {
      await recorder.waitForCount(7, h.timeoutMs);
    } finally {
      releaseSlow();
    }
  });
}
