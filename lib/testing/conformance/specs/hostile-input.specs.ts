import assert from 'node:assert/strict';
import { DEAD_LETTER_REASON_ATTRIBUTE } from '../../../messages/dead-letter-attributes';
import { envelopeOf, labelOf, Recorder } from '../conformance-harness';
import type { SpecRegistry } from '../spec-registry';

export function hostileInputSpecs(specs: SpecRegistry): void {
  specs.spec(
    'hostile messages reach the handler as deliveries that can be dead-lettered with a reason; the consumer goes on',
    async (h) => {
      const { queue, deadLetterQueue } = await h.queue('hostile', { deadLetter: true });
      const hostile = await h.options.putHostileMessages!(queue);
      await h.backend.send(queue, envelopeOf('good'));
      const problems: string[] = [];
      const main = new Recorder(async (delivery) => {
        const { payload, messageId, attributes } = delivery.envelope;
        if (typeof payload !== 'string' || typeof messageId !== 'string' || messageId === '' || typeof attributes !== 'object') {
          problems.push(`a delivery whose envelope breaks the Envelope type: ${typeof payload}/${typeof messageId}/${typeof attributes}`);
        }
        if (labelOf(delivery) === 'good') return delivery.ack();
        const moved = await delivery.deadLetter(`conformance: ${delivery.undecodable ?? 'not a message of the kit'}`);
        if (!moved) problems.push('deadLetter() resolved false on a queue with a dead-letter queue');
      });
      const dead = new Recorder();
      h.consume(queue, main.handler);
      h.consume(deadLetterQueue!, dead.handler);
      await main.waitForCount(hostile + 1, h.timeoutMs);
      await dead.waitForCount(hostile, h.timeoutMs);
      assert.deepEqual(problems, []);
      assert.deepEqual(main.labels().filter((label) => label === 'good'), ['good']);
      for (const moved of dead.deliveries) {
        assert.match(moved.envelope.attributes[DEAD_LETTER_REASON_ATTRIBUTE] ?? '', /^conformance: /);
      }
    },
    { helper: 'putHostileMessages' },
  );
}
