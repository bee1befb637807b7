import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseRedrivePolicy } from '../backends/sqs/sqs-directory';
import { parseQueueArn, type QueueArn } from './lambda-records';

/** What settling a record needs to know about its queue, looked up once per execution environment. */
export interface LambdaQueue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
}

export interface LambdaQueueAttributes {
  readonly fifo: boolean;
  /** From the queue's RedrivePolicy: where non-retryable records are copied. */
  readonly deadLetterTargetArn?: string;
}

/**
 * Queue URLs and attributes by ARN. Only a failed or retried record needs them, so a batch that
 * is all handled makes no request; a failed lookup is not kept, so a permission granted later
 * takes effect without a cold start. The owner's account is passed along, so a queue of another
 * account (a cross-account event source) is found too.
 */
export class QueueDirectory {
  private readonly urls = new Map<string, Promise<LambdaQueue>>();
  private readonly attributes = new Map<string, Promise<LambdaQueueAttributes>>();

  constructor(private readonly sqs: SQSClient) {}

  /** Needs sqs:GetQueueUrl. */
  queue(arn: QueueArn): Promise<LambdaQueue> {
    return cached(this.urls, arn.arn, async () => {
      const response = await this.sqs.send(new GetQueueUrlCommand({ QueueName: arn.name, QueueOwnerAWSAccountId: arn.account || undefined }));
      return { name: arn.name, arn: arn.arn, url: response.QueueUrl ?? '' };
    });
  }

  /** Needs sqs:GetQueueUrl and sqs:GetQueueAttributes. */
  attributesOf(arn: QueueArn): Promise<LambdaQueueAttributes> {
    return cached(this.attributes, arn.arn, async () => {
      const { url } = await this.queue(arn);
      const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['FifoQueue', 'RedrivePolicy'] }));
      const values = response.Attributes ?? {};
      return { fifo: values.FifoQueue === 'true', deadLetterTargetArn: parseRedrivePolicy(values.RedrivePolicy)?.deadLetterTargetArn };
    });
  }

  /** The dead-letter queue a redrive policy names, or undefined when its ARN cannot be read. */
  async deadLetterQueue(targetArn: string): Promise<(LambdaQueue & LambdaQueueAttributes) | undefined> {
    const arn = parseQueueArn(targetArn);
    if (!arn) return undefined;
    const queue = await this.queue(arn);
    // A dead-letter queue is FIFO exactly when its name says so: SQS enforces the suffix.
    return { ...queue, fifo: arn.name.endsWith('.fifo') };
  }
}

function cached<T>(cache: Map<string, Promise<T>>, key: string, lookUp: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (!value) {
    const lookup = lookUp();
    value = lookup;
    cache.set(key, lookup);
    lookup.catch(() => {
      if (cache.get(key) === lookup) cache.delete(key);
    });
  }
  return value;
}
