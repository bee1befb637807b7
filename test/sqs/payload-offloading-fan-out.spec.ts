import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MiB, freshBucket, payloadOf, plainS3 } from '../support/s3';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, receivePlain, uniqueName } from '../support/sqs';

/**
 * Published to a topic, an offloaded message follows the SNS extended client: the SNS message is
 * the pointer, and every subscribed queue, raw delivery or not, reads the one object.
 */
describe('payload offloading through a topic', () => {
  const factory = new BackendFactory();
  let s3: S3Client;
  let sqs: SQSClient;
  let bucket: string;

  beforeAll(async () => {
    s3 = plainS3();
    sqs = plainSqs();
    bucket = await freshBucket(s3);
  });

  afterAll(async () => {
    await factory.closeAll();
    s3.destroy();
    sqs.destroy();
  });

  async function fanOut(): Promise<{ topic: string; raw: string; enveloped: string }> {
    const backend = factory.create();
    const topic = uniqueName('offload-topic');
    const raw = uniqueName('offload-raw');
    const enveloped = uniqueName('offload-enveloped');
    await backend.declareTopic({ name: topic });
    await backend.declareQueue({ name: raw });
    await backend.declareQueue({ name: enveloped });
    await backend.declareSubscription({ topic, queue: raw, rawDelivery: true });
    await backend.declareSubscription({ topic, queue: enveloped });
    return { topic, raw, enveloped };
  }

  it('a 5 MiB message reaches two queues, raw and enveloped, each consumer with the whole payload', async () => {
    const { topic, raw, enveloped } = await fanOut();
    const publisher = factory.create({ payloadOffloading: { bucket } });
    const consumers = factory.create({ payloadOffloading: { bucket } });
    const sent = envelope({ payload: payloadOf(5 * MiB), attributes: { tenant: 'acme' } });
    const fromRaw = new DeliveryRecorder();
    const fromEnveloped = new DeliveryRecorder();
    const handles = [consumers.consume(raw, fromRaw.handler, { concurrency: 2 }), consumers.consume(enveloped, fromEnveloped.handler, { concurrency: 2 })];

    await publisher.publish(topic, sent);
    const [rawDelivery] = await fromRaw.waitForCount(1);
    const [envelopedDelivery] = await fromEnveloped.waitForCount(1);
    await Promise.all(handles.map((handle) => handle.stop()));

    for (const delivery of [rawDelivery, envelopedDelivery]) {
      expect(delivery?.undecodable).toBeUndefined();
      expect(delivery?.envelope.payload).toBe(sent.payload);
      expect(delivery?.envelope).toMatchObject({ manifest: 'OrderCreated', serializerId: 1, messageId: sent.messageId, attributes: { tenant: 'acme' } });
    }
  });

  it('publishes what the SNS extended client publishes: the pointer as the message, ExtendedPayloadSize the payload’s bytes', async () => {
    const { topic, raw, enveloped } = await fanOut();
    const publisher = factory.create({ payloadOffloading: { bucket, alwaysOffload: true } });
    const sent = envelope({ payload: '{"orderId":"é"}' });

    await publisher.publish(topic, sent);
    const [rawMessage] = await receivePlain(sqs, raw, 1);
    const [envelopedMessage] = await receivePlain(sqs, enveloped, 1);

    const pointer = /^\["software\.amazon\.payloadoffloading\.PayloadS3Pointer",\{"s3BucketName":"[^"]+","s3Key":"[0-9a-f-]{36}"\}\]$/;
    expect(rawMessage?.Body).toMatch(pointer);
    expect(rawMessage?.MessageAttributes?.ExtendedPayloadSize).toEqual({ DataType: 'Number', StringValue: '16' });
    expect(rawMessage?.MessageAttributes?.manifest?.StringValue).toBe('OrderCreated');
    const notification = JSON.parse(envelopedMessage?.Body ?? '{}') as { Message: string; MessageAttributes: Record<string, { Type: string; Value: string }> };
    expect(notification.Message).toBe(rawMessage?.Body);
    expect(notification.MessageAttributes.ExtendedPayloadSize).toEqual({ Type: 'Number', Value: '16' });
  });
});
