import type { SQSClient } from '@aws-sdk/client-sqs';
import { KiB, MiB, payloadOf } from '../support/s3';
import { BackendFactory, DeliveryRecorder, RequestLog, envelope, plainSqs, receivePlain, uniqueName } from '../support/sqs';

/** SQS takes 1 MiB (body and attributes) since August 2025: such messages need no S3 at all. */
describe('large messages within SQS’s 1 MiB', () => {
  const factory = new BackendFactory();
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('a 900 KiB message is sent and received as it is, without offloading', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('large-900k');
    await backend.declareQueue({ name: queue });
    const sent = envelope({ payload: payloadOf(900 * KiB) });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 2 });

    await backend.send(queue, sent);
    const [delivery] = await recorder.waitForCount(1);
    await consumer.stop();

    expect(delivery?.undecodable).toBeUndefined();
    expect(delivery?.envelope.payload).toBe(sent.payload);
    expect(delivery?.envelope.messageId).toBe(sent.messageId);
    expect(log.count('SendMessage')).toBe(1);
  });

  it('sends a message of exactly 1 MiB, body plus attributes', async () => {
    const backend = factory.create();
    const queue = uniqueName('large-1mib');
    await backend.declareQueue({ name: queue });
    const probe = envelope({ payload: '' });
    // Body `{"Message": ""}` is 15 bytes; the three attributes: names, types and values.
    const attributesSize = 'manifest'.length + 'String'.length + 'OrderCreated'.length + 'serializer_id'.length + 'Number'.length + 1 +
      'melange_message_id'.length + 'String'.length + probe.messageId.length;
    const sent = { ...probe, payload: 'x'.repeat(MiB - 15 - attributesSize) };

    await backend.send(queue, sent);
    const [message] = await receivePlain(sqs, queue, 1);

    expect(message?.Body?.length).toBe(MiB - attributesSize);
  });

  it('packs concurrent publishes to a topic into PublishBatch requests of at most 256 KiB, SNS’s default', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const topic = uniqueName('large-batch-topic');
    await backend.declareTopic({ name: topic });
    await backend.publish(topic, envelope());
    log.clear();

    await Promise.all([1, 2, 3].map(() => backend.publish(topic, envelope({ payload: payloadOf(100 * KiB) }))));

    // Two 100 KiB messages fit in one request, a third would not.
    expect(log.commands).toEqual(['sns:PublishBatch', 'sns:Publish']);
  });
});
