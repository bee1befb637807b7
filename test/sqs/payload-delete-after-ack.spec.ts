import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { MiB, freshBucket, objectExists, payloadOf, plainS3 } from '../support/s3';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, uniqueName } from '../support/sqs';

/** deleteAfterAck removes an object once its message is acknowledged; by default objects stay. */
describe('deleting offloaded payloads after the ack', () => {
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

  /** Sends one offloaded message, consumes it with `decide`, and returns the key of its object. */
  async function roundTrip(deleteAfterAck: boolean | undefined, decide?: ConstructorParameters<typeof DeliveryRecorder>[0]): Promise<string> {
    const queue = uniqueName('payload-delete');
    const keyPrefix = `${queue}/`;
    const publisher = factory.create({ payloadOffloading: { bucket, keyPrefix } });
    await publisher.declareQueue({ name: queue, deadLetterQueue: `${queue}-dlq`, maxReceiveCount: 5 });
    await publisher.send(queue, envelope({ payload: payloadOf(2 * MiB) }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: keyPrefix }));
    expect(listed.Contents).toHaveLength(1);
    const consumer = factory.create({ payloadOffloading: { bucket, deleteAfterAck } });
    const recorder = new DeliveryRecorder(decide);
    const handle = consumer.consume(queue, recorder.handler, { concurrency: 1 });
    await recorder.waitForCount(1);
    await handle.stop();
    // Deleting runs after the ack is confirmed, in the background; close() waits for it.
    await consumer.close();
    return listed.Contents![0]!.Key!;
  }

  it('deleteAfterAck: true deletes the object once the message was acknowledged', async () => {
    const key = await roundTrip(true);

    expect(await objectExists(s3, bucket, key)).toBe(false);
  });

  it('by default the object stays (a lifecycle rule expires it)', async () => {
    const key = await roundTrip(undefined);

    expect(await objectExists(s3, bucket, key)).toBe(true);
  });

  it('a dead-lettered message keeps its object even with deleteAfterAck, so a redrive still finds it', async () => {
    const key = await roundTrip(true, async (delivery) => {
      await delivery.deadLetter('handled elsewhere');
    });

    expect(await objectExists(s3, bucket, key)).toBe(true);
  });
});
