import { DeleteQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { CapturingLogger } from '../support/capturing-logger';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, queueUrl, uniqueName, waitFor } from '../support/sqs';

/**
 * An SQS ack resolves once its delete is on its way (the slot goes to the next message then), so a
 * delete the broker refuses afterwards can no longer reach the dispatcher: the consumer must say so.
 */
describe('a delete the broker refuses after the ack resolved', () => {
  const factory = new BackendFactory();
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('is logged as a warning naming the queue and the message', async () => {
    const queue = uniqueName('refused-delete');
    const logger = new CapturingLogger();
    const backend = factory.create({ logger });
    await backend.declareQueue({ name: queue });
    const url = await queueUrl(sqs, queue);
    const message = envelope();
    await backend.send(queue, message);
    // The queue deleted under the handler: the delete request that follows its ack fails.
    const recorder = new DeliveryRecorder(async (delivery) => {
      await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
      await delivery.ack();
    });
    const handle = backend.consume(queue, recorder.handler, { concurrency: 4 });
    await recorder.waitForCount(1);
    await waitFor(() => logger.messages('warn').some((line) => line.includes('could not be acknowledged')), 10_000, 'the refused delete to be logged');
    await handle.stop();

    expect(logger.messages('warn').find((line) => line.includes('could not be acknowledged'))).toContain(`queue=${queue} message=${message.messageId}`);
  });
});
