import 'reflect-metadata';
import type { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnAnyMessage, SqsBackend } from '../../lib';
import { Recorder } from '../support/recorder';
import { freshBucket, plainS3 } from '../support/s3';
import { CREDENTIALS, REGION, plainSqs, queueAttributes, queueUrl, receivePlain, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('payload-gone');
const DEAD_LETTERS = `${QUEUE}-dlq`;
const PLAIN = uniqueName('payload-no-offloading');

@Injectable()
@MessageConsumer(QUEUE)
class Handles {
  readonly seen = new Recorder<unknown>();

  @OnAnyMessage()
  any(payload: unknown): void {
    this.seen.record(payload);
  }
}

@Injectable()
@MessageConsumer({ queue: PLAIN, backend: 'plain' })
class HandlesWithoutOffloading {
  readonly seen = new Recorder<unknown>();

  @OnAnyMessage()
  any(payload: unknown): void {
    this.seen.record(payload);
  }
}

/** A payload that is gone for good cannot be handled, now or later: dead-lettered at once, with the reason. */
describe('offloaded payloads that cannot be read', () => {
  let app: INestApplication;
  let s3: S3Client;
  let sqs: SQSClient;
  let bucket: string;

  beforeAll(async () => {
    s3 = plainS3();
    sqs = plainSqs();
    bucket = await freshBucket(s3);
    const options = { region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger };
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ ...options, payloadOffloading: { bucket } }), plain: new SqsBackend(options) },
          defaultBackend: 'sqs',
          infrastructure: {
            queues: [
              { name: QUEUE, deadLetterQueue: DEAD_LETTERS, maxReceiveCount: 5 },
              { name: DEAD_LETTERS },
              { name: PLAIN, deadLetterQueue: `${PLAIN}-dlq`, maxReceiveCount: 5, backend: 'plain' },
              { name: `${PLAIN}-dlq`, backend: 'plain' },
            ],
          },
        }),
      ],
      providers: [Handles, HandlesWithoutOffloading],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    s3.destroy();
    sqs.destroy();
  });

  async function sendPointer(queue: string, key: string, body?: string): Promise<void> {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, queue),
        MessageBody: body ?? JSON.stringify(['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: bucket, s3Key: key }]),
        MessageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '100' } },
      }),
    );
  }

  it('NoSuchKey: dead-lettered on the first receive, the reason naming the object, the pointer kept as it was', async () => {
    await sendPointer(QUEUE, 'never-written');

    const [dead] = await receivePlain(sqs, DEAD_LETTERS, 1, 8000);

    expect(dead?.Body).toBe(JSON.stringify(['software.amazon.payloadoffloading.PayloadS3Pointer', { s3BucketName: bucket, s3Key: 'never-written' }]));
    expect(dead?.MessageAttributes?.ExtendedPayloadSize?.StringValue).toBe('100');
    expect(dead?.MessageAttributes?.melange_dead_letter_reason?.StringValue).toMatch(
      new RegExp(`cannot be decoded: its payload s3://${bucket}/never-written cannot be read: S3 answered NoSuchKey`),
    );
    expect(app.get(Handles).seen.items).toEqual([]);
    expect((await queueAttributes(sqs, QUEUE)).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('a size attribute on a body that is no pointer: dead-lettered, saying so', async () => {
    await sendPointer(QUEUE, '', '{"not":"a pointer"}');

    const [dead] = await receivePlain(sqs, DEAD_LETTERS, 1, 8000);

    expect(dead?.MessageAttributes?.melange_dead_letter_reason?.StringValue).toMatch(
      /carries the ExtendedPayloadSize attribute of an S3 payload pointer, but its body is not one/,
    );
  });

  it('a backend without payloadOffloading dead-letters a pointer with a reason that says what to configure', async () => {
    await sendPointer(PLAIN, 'any');

    const [dead] = await receivePlain(sqs, `${PLAIN}-dlq`, 1, 8000);

    expect(dead?.MessageAttributes?.melange_dead_letter_reason?.StringValue).toMatch(/this SqsBackend cannot read it: give it the payloadOffloading option/);
    expect(app.get(HandlesWithoutOffloading).seen.items).toEqual([]);
  });
});
