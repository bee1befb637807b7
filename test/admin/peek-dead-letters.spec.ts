import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { plainSqs, queueUrl } from '../support/sqs';
import { BUG_REASON, eventually, publishItems, startAdminApp, type AdminApp } from './admin-harness';

describe('MelangeAdmin.peekDeadLetters(), on the local SQS server', () => {
  const sqs = plainSqs();
  let harness: AdminApp;

  beforeAll(async () => {
    harness = await startAdminApp({ prefix: 'admin-peek' });
  });

  afterAll(async () => {
    await harness.close();
    sqs.destroy();
  });

  const deadLetterCount = async () => (await harness.admin.queues()).find((row) => row.queue === harness.deadLetterQueue)?.counts;

  it('returns the dead-lettered messages decoded, with their reasons, and leaves them there', async () => {
    const { admin, publisher, queue, deadLetterQueue } = harness;
    const before = Date.now();
    await publishItems(publisher, queue, ['peek-a', 'peek-b', 'peek-c']);
    // One the consumer cannot route: its reason says why.
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(sqs, queue), MessageBody: 'not json at all' }));
    await eventually(deadLetterCount, (counts) => counts?.visible === 4, 'four dead-lettered');

    // Named by its source queue, peek finds the dead-letter queue through the redrive policy.
    const peeked = await admin.peekDeadLetters(queue, { max: 10 });
    expect(peeked).toHaveLength(4);
    const typed = peeked.filter((message) => message.manifest === 'admin.work-item');
    expect(typed.map((message) => JSON.parse(message.payload ?? '"hidden"'))).toEqual(['hidden', 'hidden', 'hidden']);
    for (const message of typed) {
      expect(message).toMatchObject({ sourceQueue: queue, receiveCount: 1, attributes: {} });
      expect(message.reason).toContain(BUG_REASON);
      expect(message.messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(message.sentAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
    const undecodable = peeked.find((message) => message.manifest === undefined);
    expect(undecodable?.reason).toContain('has no manifest attribute');

    // Still there, visible again at once; a second peek sees each a second time, with payloads when asked.
    expect(await deadLetterCount()).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
    const again = await admin.peekDeadLetters(deadLetterQueue, { max: 2, includePayloads: true });
    expect(again).toHaveLength(2);
    expect(again.every((message) => message.receiveCount === 2 && typeof message.payload === 'string')).toBe(true);
    expect(await deadLetterCount()).toEqual({ visible: 4, inFlight: 0, delayed: 0 });
  });
});
