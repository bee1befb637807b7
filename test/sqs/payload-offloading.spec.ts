import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MiB, freshBucket, objectText, payloadOf, plainS3, putText } from '../support/s3';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, queueUrl, receivePlain, uniqueName } from '../support/sqs';

/** A message over SQS's limit goes to S3 and the queue carries the extended clients' pointer. */
describe('payload offloading to a queue', () => {
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

  it('a 5 MiB message travels as a pointer in the AWS extended clients’ format, melange attributes kept', async () => {
    const backend = factory.create({ payloadOffloading: { bucket, keyPrefix: 'orders/' } });
    const queue = uniqueName('offload-wire');
    await backend.declareQueue({ name: queue });
    const sent = envelope({ payload: payloadOf(5 * MiB), attributes: { tenant: 'acme' } });

    await backend.send(queue, sent);
    const [message] = await receivePlain(sqs, queue, 1);

    const body = message?.Body ?? '';
    expect(body).toMatch(/^\["software\.amazon\.payloadoffloading\.PayloadS3Pointer",\{"s3BucketName":"[^"]+","s3Key":"orders\/[0-9a-f-]{36}"\}\]$/);
    const [, pointer] = JSON.parse(body) as [string, { s3BucketName: string; s3Key: string }];
    expect(pointer.s3BucketName).toBe(bucket);
    const stored = await objectText(s3, bucket, pointer.s3Key);
    // S3 holds the body the message would have had: the {"Message"} wrapper around the payload.
    expect(stored).toBe(`{"Message": ${JSON.stringify(sent.payload)}}`);
    expect(message?.MessageAttributes).toEqual({
      manifest: { DataType: 'String', StringValue: 'OrderCreated' },
      serializer_id: { DataType: 'Number', StringValue: '1' },
      melange_message_id: { DataType: 'String', StringValue: sent.messageId },
      tenant: { DataType: 'String', StringValue: 'acme' },
      ExtendedPayloadSize: { DataType: 'Number', StringValue: String(Buffer.byteLength(stored)) },
    });
  });

  it('a consumer gets the 5 MiB payload back, with the melange attributes and none of the pointer’s', async () => {
    const backend = factory.create({ payloadOffloading: { bucket } });
    const queue = uniqueName('offload-roundtrip');
    await backend.declareQueue({ name: queue });
    const sent = envelope({ payload: payloadOf(5 * MiB), attributes: { tenant: 'acme' } });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 4 });

    await backend.send(queue, sent);
    const [delivery] = await recorder.waitForCount(1);
    await consumer.stop();

    expect(delivery?.undecodable).toBeUndefined();
    expect(delivery?.envelope.payload).toBe(sent.payload);
    expect(delivery?.envelope).toMatchObject({ manifest: 'OrderCreated', serializerId: 1, messageId: sent.messageId, attributes: { tenant: 'acme' } });
  });

  it('small messages stay in the queue unless alwaysOffload is set', async () => {
    const queue = uniqueName('offload-small');
    const backend = factory.create({ payloadOffloading: { bucket } });
    await backend.declareQueue({ name: queue });
    await backend.send(queue, envelope());
    const always = factory.create({ payloadOffloading: { bucket, alwaysOffload: true } });
    await always.send(queue, envelope());

    const bodies = (await receivePlain(sqs, queue, 2)).map((message) => message.Body ?? '');

    expect(bodies.filter((body) => body.startsWith('{"Message": '))).toHaveLength(1);
    expect(bodies.filter((body) => body.startsWith('["software.amazon.payloadoffloading.PayloadS3Pointer"'))).toHaveLength(1);
  });

  it('thresholdBytes offloads what is over it, even under the queue’s limit', async () => {
    const queue = uniqueName('offload-threshold');
    const backend = factory.create({ payloadOffloading: { bucket, thresholdBytes: 10_000 } });
    await backend.declareQueue({ name: queue });

    await backend.send(queue, envelope({ payload: payloadOf(9_000) }));
    await backend.send(queue, envelope({ payload: payloadOf(20_000) }));
    const bodies = (await receivePlain(sqs, queue, 2)).map((message) => message.Body ?? '');

    expect(bodies.map((body) => (body.startsWith('[') ? 'pointer' : 'inline')).sort()).toEqual(['inline', 'pointer']);
  });

  it('a pointer is read whoever sent it: a plain SendMessage of a pointer with ExtendedPayloadSize', async () => {
    const backend = factory.create({ payloadOffloading: { bucket } });
    const queue = uniqueName('offload-plain-pointer');
    await backend.declareQueue({ name: queue });
    const key = `by-hand/${uniqueName('k')}`;
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    await putText(s3, bucket, key, '{"from":"java"}');

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, queue),
        MessageBody: JSON.stringify(['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: bucket, s3Key: key }]),
        MessageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '15' } },
      }),
    );
    const [delivery] = await recorder.waitForCount(1);
    await consumer.stop();

    expect(delivery?.envelope).toMatchObject({ payload: '{"from":"java"}', manifest: undefined, attributes: {} });
  });
});
