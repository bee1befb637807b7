import assert from 'node:assert/strict';
import { envelopeOf, Recorder, sleep } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

const UNREACHABLE_TIMEOUT_MS = 15_000;

export function declarationSpecs(specs: SpecRegistry): void {
  specs.spec('declaring a queue, topic and subscription again changes nothing: one copy per publish', async (h) => {
    const topic = h.name('twice');
    const { queue, deadLetterQueue } = await h.queue('twice', { deadLetter: true, maxReceiveCount: 3 });
    const other = await h.another();
    for (const backend of [h.backend, other]) {
      await backend.declareQueue({ name: deadLetterQueue! });
      await backend.declareQueue({ name: queue, visibilityTimeout: 1, deadLetterQueue, maxReceiveCount: 3 });
      await backend.declareTopic({ name: topic });
      await backend.declareSubscription({ topic, queue, manifests: ['conformance.labelled'] });
      await backend.declareSubscription({ topic, queue, manifests: ['conformance.labelled'] });
    }
    await h.backend.publish(topic, envelopeOf('once'));
    const recorder = new Recorder();
    h.consume(queue, recorder.handler);
    await recorder.waitForCount(1, h.timeoutMs);
    await sleep(700);
    assert.equal(recorder.deliveries.length, 1);
  });

  specs.spec('checkHealth() resolves while the broker answers', async (h) => {
    await h.backend.checkHealth();
  });

  specs.spec(
    'checkHealth() rejects when the broker cannot be reached',
    async (h) => {
      const unreachable = await h.options.createUnreachable!();
      try {
        const outcome = await Promise.race([
          unreachable.checkHealth().then(
            () => 'resolved',
            // Not instanceof: an error from Node's own modules comes from another realm under Jest.
            (error: unknown) => (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string' ? 'rejected' : 'rejected without an error'),
          ),
          sleep(UNREACHABLE_TIMEOUT_MS).then(() => 'hung'),
        ]);
        assert.equal(outcome, 'rejected');
      } finally {
        await unreachable.close();
      }
    },
    { helper: 'createUnreachable' },
  );
}
