import {
  CreateQueueCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SQSClient,
  type SendMessageBatchRequestEntry,
} from '@aws-sdk/client-sqs';
import { CreateTopicCommand, DeleteTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { randomUUID } from 'node:crypto';
import { wrapQueueBody } from '../../lib/backends/sqs/sqs-wire-format';
import { manifestOf } from '../../lib';
import { OrderPlaced, makeOrder } from './message';

/** fauxqs takes any region and credentials. */
export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

export function sqsClient(endpoint: string): SQSClient {
  return new SQSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
}

export function snsClient(endpoint: string): SNSClient {
  return new SNSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
}

/** Queue and topic names unique to one round of one contender: every run starts from empty queues. */
export function freshName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}

/** Administration on a client of its own, so it never shares sockets with a contender. */
export class Admin {
  readonly sqs: SQSClient;
  readonly sns: SNSClient;

  constructor(readonly endpoint: string) {
    this.sqs = sqsClient(endpoint);
    this.sns = snsClient(endpoint);
  }

  async createQueue(name: string, visibilityTimeout = 60): Promise<string> {
    const { QueueUrl } = await this.sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: String(visibilityTimeout) } }),
    );
    return QueueUrl!;
  }

  async deleteQueue(url: string): Promise<void> {
    await this.sqs.send(new DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
  }

  /** Visible + in flight; 0 means every message was deleted. */
  async remaining(url: string): Promise<number> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /**
   * Fills a queue with `count` messages in the format the contender reads: `raw` is the order's
   * JSON as the body, `melange` is the library's wire format (body `{"Message": "<json>"}`, with
   * the manifest, serializer_id and melange_message_id attributes), built with the library's own
   * wrapQueueBody so the two cannot drift apart.
   */
  async fill(url: string, count: number, format: 'raw' | 'melange', parallel = 8): Promise<void> {
    let next = 0;
    const manifest = manifestOf(OrderPlaced);
    const worker = async (): Promise<void> => {
      while (next < count) {
        const start = next;
        const size = Math.min(10, count - start);
        next += size;
        const entries: SendMessageBatchRequestEntry[] = [];
        for (let index = 0; index < size; index++) {
          const json = JSON.stringify(makeOrder(start + index));
          entries.push(
            format === 'raw'
              ? { Id: String(index), MessageBody: json }
              : {
                  Id: String(index),
                  MessageBody: wrapQueueBody(json),
                  MessageAttributes: {
                    manifest: { DataType: 'String', StringValue: manifest },
                    serializer_id: { DataType: 'Number', StringValue: '1' },
                    melange_message_id: { DataType: 'String', StringValue: randomUUID() },
                  },
                },
          );
        }
        const response = await this.sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries }));
        if (response.Failed?.length) throw new Error(`prefill failed: ${JSON.stringify(response.Failed[0])}`);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
  }

  async createTopic(name: string): Promise<string> {
    const { TopicArn } = await this.sns.send(new CreateTopicCommand({ Name: name }));
    return TopicArn!;
  }

  async subscribe(topicArn: string, queueUrl: string): Promise<void> {
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await this.sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: Attributes.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
  }

  async deleteTopic(arn: string): Promise<void> {
    await this.sns.send(new DeleteTopicCommand({ TopicArn: arn })).catch(() => undefined);
  }

  close(): void {
    this.sqs.destroy();
    this.sns.destroy();
  }
}

