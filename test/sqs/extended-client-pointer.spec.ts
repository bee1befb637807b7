import 'reflect-metadata';
import type { S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnAnyMessage, SqsBackend, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { freshBucket, plainS3, putText } from '../support/s3';
import { CREDENTIALS, REGION, plainSns, plainSqs, queueUrl, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('extended-pointer');
const TOPIC = uniqueName('extended-pointer-topic');

@Injectable()
@MessageConsumer(QUEUE)
class AnyMessage {
  readonly seen = new Recorder<{ payload: unknown; attributes: Record<string, string> }>();

  @OnAnyMessage()
  any(payload: unknown, context: MessageContext): void {
    this.seen.record({ payload, attributes: { ...context.attributes } });
  }
}

/**
 * What AWS's extended clients write, built by hand: a pointer body, a size attribute, and none of
 * melange's attributes. The queue's @OnAnyMessage handler gets the object's content.
 */
describe('pointers written by the AWS extended clients', () => {
  let app: INestApplication;
  let s3: S3Client;
  let sqs: SQSClient;
  let bucket: string;

  beforeAll(async () => {
    s3 = plainS3();
    sqs = plainSqs();
    bucket = await freshBucket(s3);
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: {
            sqs: new SqsBackend({
              region: REGION,
              endpoint: sqsEndpoint(),
              credentials: CREDENTIALS,
              waitTimeSeconds: 1,
              logger: silentLogger,
              payloadOffloading: { bucket },
            }),
          },
          infrastructure: { queues: [{ name: QUEUE }], topics: [{ name: TOPIC }], subscriptions: [{ topic: TOPIC, queue: QUEUE }] },
        }),
      ],
      providers: [AnyMessage],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    s3.destroy();
    sqs.destroy();
  });

  it('Java (Jackson, ExtendedPayloadSize), Python (json.dumps spacing) and legacy (SQSLargePayloadSize, old class) pointers', async () => {
    const url = await queueUrl(sqs, QUEUE);
    const sends = [
      {
        key: 'java-key',
        content: '{"from":"java"}',
        body: `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"${bucket}","s3Key":"java-key"}]`,
        attribute: 'ExtendedPayloadSize',
      },
      {
        key: 'python-key',
        content: '{"from": "python"}',
        body: `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "${bucket}", "s3Key": "python-key"}]`,
        attribute: 'ExtendedPayloadSize',
      },
      {
        key: 'legacy-key',
        content: '{"from":"legacy"}',
        body: `["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"${bucket}","s3Key":"legacy-key"}]`,
        attribute: 'SQSLargePayloadSize',
      },
    ];
    for (const { key, content, body, attribute } of sends) {
      await putText(s3, bucket, key, content);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageAttributes: {
            [attribute]: { DataType: 'Number', StringValue: String(Buffer.byteLength(content)) },
            origin: { DataType: 'String', StringValue: 'extended-client' },
          },
        }),
      );
    }

    const seen = await app.get(AnyMessage).seen.waitFor(3);

    expect(seen.map(({ payload }) => payload)).toEqual(expect.arrayContaining([{ from: 'java' }, { from: 'python' }, { from: 'legacy' }]));
    // The size attribute is the pointer's business, not the handler's.
    for (const { attributes } of seen) expect(attributes).toEqual({ origin: 'extended-client' });
  });

  it('what the Python SNS extended client publishes, delivered through the topic in an SNS envelope', async () => {
    await putText(s3, bucket, 'sns-key', '{"from":"sns-extended-client"}');
    const sns = plainSns();
    const { TopicArn: topicArn } = await sns.send(new CreateTopicCommand({ Name: TOPIC }));

    await sns.send(
      new PublishCommand({
        TopicArn: topicArn,
        Message: `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "${bucket}", "s3Key": "sns-key"}]`,
        MessageAttributes: { ExtendedPayloadSize: { DataType: 'Number', StringValue: '30' } },
      }),
    );
    sns.destroy();
    const seen = await app.get(AnyMessage).seen.waitFor(4);

    expect(seen.map(({ payload }) => payload)).toContainEqual({ from: 'sns-extended-client' });
  });
});
