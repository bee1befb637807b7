import { CapturingLogger } from '../support/capturing-logger';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import {
  BackendFactory,
  DeliveryRecorder,
  envelope,
  plainSqs,
  queueAttributes,
  queueUrl,
  receivePlain,
  uniqueName,
  waitFor,
} from '../support/sqs';

describe('dead-letter queues', () => {
  const factory = new BackendFactory();
  const logger = new CapturingLogger();
  let backend: SqsBackend;
  let sqs: SQSClient;

  beforeAll(() => {
    backend = factory.create({ logger });
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('a message that always fails ends in the dead-letter queue after maxReceiveCount receives (SQS redrive)', async () => {
    const queue = uniqueName('dlq-redrive');
    const deadLetters = uniqueName('dlq-redrive-dlq');
    await backend.declareQueue({ name: queue, deadLetterQueue: deadLetters, maxReceiveCount: 3 });
    const recorder = new DeliveryRecorder((delivery) => delivery.retry(0));
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    const sent = envelope();

    await backend.send(queue, sent);
    const [dead] = await receivePlain(sqs, deadLetters, 1, 8000);
    await consumer.stop();

    expect(recorder.deliveries.map((delivery) => delivery.receiveCount)).toEqual([1, 2, 3]);
    expect(dead?.Body).toBe(`{"Message": ${JSON.stringify(sent.payload)}}`);
    expect(dead?.MessageAttributes?.melange_message_id?.StringValue).toBe(sent.messageId);
  });

  it('deadLetter(reason) moves the message at once, with reason and source queue, and deletes the original', async () => {
    const queue = uniqueName('dlq-explicit');
    const deadLetters = uniqueName('dlq-explicit-dlq');
    await backend.declareQueue({ name: queue, deadLetterQueue: deadLetters, maxReceiveCount: 5 });
    const results: boolean[] = [];
    const recorder = new DeliveryRecorder(async (delivery) => {
      results.push(await delivery.deadLetter('no handler for manifest OrderCreated'));
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    const sent = envelope({ attributes: { tenant: 'acme' } });

    await backend.send(queue, sent);
    const [dead] = await receivePlain(sqs, deadLetters, 1);
    await consumer.stop();

    expect(results).toEqual([true]);
    expect(dead?.Body).toBe(`{"Message": ${JSON.stringify(sent.payload)}}`);
    expect(dead?.MessageAttributes).toEqual({
      manifest: { DataType: 'String', StringValue: 'OrderCreated' },
      serializer_id: { DataType: 'Number', StringValue: '1' },
      melange_message_id: { DataType: 'String', StringValue: sent.messageId },
      tenant: { DataType: 'String', StringValue: 'acme' },
      melange_dead_letter_reason: { DataType: 'String', StringValue: 'no handler for manifest OrderCreated' },
      melange_source_queue: { DataType: 'String', StringValue: queue },
    });
    const source = await queueAttributes(sqs, queue);
    expect([source.ApproximateNumberOfMessages, source.ApproximateNumberOfMessagesNotVisible]).toEqual(['0', '0']);
    // A whole copy: the backend logs nothing; the dispatcher logs the move, once.
    expect(logger.lines.filter((line) => line.message.includes(sent.messageId))).toEqual([]);
  });

  it('deadLetter() resolves false, and keeps the message, when the queue has no dead-letter queue', async () => {
    const queue = uniqueName('dlq-none');
    await backend.declareQueue({ name: queue });
    const results: boolean[] = [];
    let settled = false;
    const recorder = new DeliveryRecorder(async (delivery) => {
      try {
        const moved = await delivery.deadLetter('cannot handle');
        results.push(moved);
        if (!moved) {
          await delivery.retry(60_000);
        }
      } finally {
        settled = true;
      }
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope());
    await waitFor(() => settled, 10_000, 'the handler to settle the message');
    await consumer.stop();

    expect(results).toEqual([false]);
    expect((await queueAttributes(sqs, queue)).ApproximateNumberOfMessagesNotVisible).toBe('1');
  });

  it('hands over a message it cannot decode marked undecodable, with the raw body; dead-lettered, it keeps the reason', async () => {
    const queue = uniqueName('dlq-undecodable');
    const deadLetters = uniqueName('dlq-undecodable-dlq');
    await backend.declareQueue({ name: queue, deadLetterQueue: deadLetters });
    // What the dispatcher does with such a delivery.
    const recorder = new DeliveryRecorder(async (delivery) => void (await delivery.deadLetter(`cannot be decoded: ${delivery.undecodable}`)));
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, queue),
        MessageBody: '{"Message": "gAN9cQA="}',
        MessageAttributes: { serializer_id: { DataType: 'String', StringValue: 'pickle' } },
      }),
    );
    const [dead] = await receivePlain(sqs, deadLetters, 1);
    await consumer.stop();

    expect(recorder.deliveries.map(({ undecodable, envelope }) => ({ undecodable, payload: envelope.payload }))).toEqual([
      { undecodable: 'its serializer_id attribute "pickle" is not an integer', payload: 'gAN9cQA=' },
    ]);
    expect(dead?.Body).toBe('{"Message": "gAN9cQA="}');
    expect(dead?.MessageAttributes?.melange_dead_letter_reason?.StringValue).toBe(
      'cannot be decoded: its serializer_id attribute "pickle" is not an integer',
    );
  });

  it('keeps the group of a FIFO message it dead-letters', async () => {
    const queue = uniqueName('dlq-fifo', true);
    const deadLetters = uniqueName('dlq-fifo-dlq', true);
    await backend.declareQueue({ name: queue, deadLetterQueue: deadLetters });
    const recorder = new DeliveryRecorder(async (delivery) => void (await delivery.deadLetter('poison')));
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope(), { groupId: 'customer-7' });
    const [dead] = await receivePlain(sqs, deadLetters, 1);
    await consumer.stop();

    expect(dead?.Attributes?.MessageGroupId).toBe('customer-7');
  });
});
