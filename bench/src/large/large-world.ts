/*
 * What the large-message scenarios share: the message class, the raw SDK's way of sending and
 * reading it (by hand, as an application without the library would), and a nestjs-melange app.
 */
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Message as SqsMessage, SQSClient } from '@aws-sdk/client-sqs';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, SqsBackend, manifestOf, type PayloadOffloadingOptions } from '../../../lib';
import { wrapQueueBody } from '../../../lib/backends/sqs/sqs-wire-format';
import { createApp } from '../apps';
import { CREDENTIALS, REGION, freshName } from '../aws';

@Message('bench.large-document')
export class LargeDocument {
  id!: string;
  blob!: string;
}

export function makeDocument(index: number, bytes: number): LargeDocument {
  return Object.assign(new LargeDocument(), { id: `doc-${index}`, blob: 'x'.repeat(Math.max(0, bytes - 30)) });
}

export function s3Client(endpoint: string): S3Client {
  return new S3Client({ region: REGION, endpoint, credentials: CREDENTIALS, forcePathStyle: true });
}

export async function freshBucket(s3: S3Client): Promise<string> {
  const bucket = freshName('bench-payloads').toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

const POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';

/** The raw SDK, by hand: the melange wire format, and S3 PutObject + a pointer when `bucket` is given. */
export async function rawSend(sqs: SQSClient, s3: S3Client, queueUrl: string, document: LargeDocument, bucket?: string): Promise<void> {
  const body = wrapQueueBody(JSON.stringify(document));
  const attributes = {
    manifest: { DataType: 'String', StringValue: manifestOf(LargeDocument) },
    serializer_id: { DataType: 'Number', StringValue: '1' },
    melange_message_id: { DataType: 'String', StringValue: randomUUID() },
  };
  if (bucket === undefined) {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageAttributes: attributes }));
    return;
  }
  const key = randomUUID();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify([POINTER_CLASS, { s3BucketName: bucket, s3Key: key }]),
      MessageAttributes: { ...attributes, ExtendedPayloadSize: { DataType: 'Number', StringValue: String(Buffer.byteLength(body)) } },
    }),
  );
}

/** The raw SDK's consumer: `pollers` loops of receive (10), GetObject for pointers, parse, handle, delete the batch. */
export function rawConsume(
  sqs: SQSClient,
  s3: S3Client,
  queueUrl: string,
  pollers: number,
  handle: (document: LargeDocument) => Promise<void>,
): { stop(): Promise<void> } {
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ['All'] }),
      );
      await Promise.all(Messages.map(async (message) => handle(await rawRead(s3, message))));
      if (Messages.length > 0) {
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })) }));
      }
    }
  };
  const loops = Array.from({ length: pollers }, () => loop());
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function rawRead(s3: S3Client, message: SqsMessage): Promise<LargeDocument> {
  let body = message.Body ?? '';
  if (message.MessageAttributes?.ExtendedPayloadSize) {
    const [, pointer] = JSON.parse(body) as [string, { s3BucketName: string; s3Key: string }];
    const object = await s3.send(new GetObjectCommand({ Bucket: pointer.s3BucketName, Key: pointer.s3Key }));
    body = (await object.Body?.transformToString('utf8')) ?? '';
  }
  const { Message: payload } = JSON.parse(body) as { Message: string };
  return Object.assign(new LargeDocument(), JSON.parse(payload) as object);
}

/** nestjs-melange as an application runs it: a publisher, and a consumer of `queue` when given. */
export async function melangeApp(
  endpoint: string,
  offloading: PayloadOffloadingOptions | undefined,
  consume?: { queue: string; concurrency: number; handle: (document: LargeDocument) => Promise<void> },
): Promise<{ app: INestApplicationContext; publisher: MelangePublisher }> {
  const providers = [];
  if (consume) {
    @Injectable()
    @MessageConsumer({ queue: consume.queue, concurrency: consume.concurrency })
    class LargeConsumer {
      @OnMessage()
      async handle(document: LargeDocument): Promise<void> {
        await consume!.handle(document);
      }
    }
    providers.push(LargeConsumer);
  }
  const backend = new SqsBackend({ region: REGION, endpoint, credentials: CREDENTIALS, abortPollsOnStop: true, waitTimeSeconds: 1, payloadOffloading: offloading });
  @Module({ imports: [MelangeModule.forRoot({ backends: { default: backend }, autoCreate: false })], providers })
  class LargeModule {}
  const app = await createApp(LargeModule);
  return { app, publisher: app.get(MelangePublisher) };
}
