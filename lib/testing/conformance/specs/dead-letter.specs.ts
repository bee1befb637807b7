import assert from 'node:assert/strict';
import { DEAD_LETTER_REASON_ATTRIBUTE, SOURCE_QUEUE_ATTRIBUTE } from '../../../messages/dead-letter-attributes';
import { envelopeOf, Recorder, waitFor } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function deadLetterSpecs(specs: SpecRegistry): void {
  specs.spec(`deadLetter(reason) moves the message whole, with ${DEAD_LETTER_REASON_ATTRIBUTE} and ${SOURCE_QUEUE_ATTRIBUTE}`, async (h) => {
    const { queue, deadLetterQueue } = await h.queue('dead', { deadLetter: true });
    const sent = envelopeOf('doomed', { attributes: { tenant: 'acme' } });
    await h.backend.send(queue, sent);
    const outcomes: boolean[] = [];
    const main = new Recorder(async (delivery) => {
      outcomes.push(await delivery.deadLetter('cannot be handled: the order is unknown'));
    });
    const dead = new Recorder();
    h.consume(queue, main.handler);
    h.consume(deadLetterQueue!, dead.handler);
    const [moved] = await dead.waitForCount(1, h.timeoutMs);
    // The copy can be delivered from the dead-letter queue before the original's delete, after which deadLetter() resolves.
    await waitFor(() => outcomes.length > 0, h.timeoutMs, 'deadLetter() to resolve');
    assert.deepEqual(outcomes, [true]);
    assert.equal(moved.envelope.messageId, sent.messageId);
    assert.equal(moved.envelope.payload, sent.payload);
    assert.equal(moved.envelope.manifest, sent.manifest);
    assert.equal(moved.envelope.serializerId, sent.serializerId);
    assert.equal(moved.envelope.attributes.tenant, 'acme');
    assert.equal(moved.envelope.attributes[DEAD_LETTER_REASON_ATTRIBUTE], 'cannot be handled: the order is unknown');
    assert.equal(moved.envelope.attributes[SOURCE_QUEUE_ATTRIBUTE], queue);
    assert.equal(main.deliveries.length, 1);
  });

  specs.spec('deadLetter on a queue without a dead-letter queue resolves false and leaves the message to another decision', async (h) => {
    const { queue } = await h.queue('no-dlq');
    await h.backend.send(queue, envelopeOf('kept'));
    const outcomes: boolean[] = [];
    const recorder = new Recorder(async (delivery) => {
      if (delivery.receiveCount > 1) return delivery.ack();
      outcomes.push(await delivery.deadLetter('nowhere to go'));
      await delivery.retry(0);
    });
    h.consume(queue, recorder.handler);
    const [first, second] = await recorder.waitForCount(2, h.timeoutMs);
    assert.deepEqual(outcomes, [false]);
    assert.equal(second.envelope.messageId, first.envelope.messageId);
  });
}
