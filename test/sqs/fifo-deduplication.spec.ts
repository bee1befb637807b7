import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import { BackendFactory, envelope, plainSqs, receivePlain, uniqueName } from '../support/sqs';

describe('FIFO de-duplication', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;
  let sqs: SQSClient;

  beforeAll(() => {
    backend = factory.create();
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('drops a re-send of the same envelope: its message id is the default de-duplication id', async () => {
    const queue = uniqueName('dedup', true);
    await backend.declareQueue({ name: queue });
    const sent = envelope();

    const other = envelope();
    // Separate groups, so a duplicate that got through could not hide behind a locked group.
    await backend.send(queue, sent, { groupId: 'g1' });
    await backend.send(queue, sent, { groupId: 'g2' });
    await backend.send(queue, other, { groupId: 'g3' });

    const received = await receivePlain(sqs, queue, 3, 1500);
    expect(received.map((message) => message.Attributes?.MessageDeduplicationId).sort()).toEqual(
      [sent.messageId, other.messageId].sort(),
    );
  });

  it('uses the caller’s de-duplication id when given', async () => {
    const queue = uniqueName('dedup-caller', true);
    await backend.declareQueue({ name: queue });

    await backend.send(queue, envelope(), { groupId: 'g1', deduplicationId: 'order-42' });
    await backend.send(queue, envelope(), { groupId: 'g2', deduplicationId: 'order-42' });

    const received = await receivePlain(sqs, queue, 2, 1500);
    expect(received.map((message) => message.Attributes?.MessageDeduplicationId)).toEqual(['order-42']);
  });

  it('leaves de-duplication to the broker on a queue that de-duplicates by content', async () => {
    const queue = uniqueName('dedup-content', true);
    await backend.declareQueue({ name: queue, contentBasedDeduplication: true });

    await backend.send(queue, envelope({ payload: 'same', messageId: 'a' }), { groupId: 'g1' });
    await backend.send(queue, envelope({ payload: 'same', messageId: 'b' }), { groupId: 'g2' });

    // Two envelopes with one body: the broker's content hash makes them one message.
    const received = await receivePlain(sqs, queue, 2, 1500);
    expect(received).toHaveLength(1);
    expect(received[0]?.Attributes?.MessageDeduplicationId).not.toBe('a');
  });
});
