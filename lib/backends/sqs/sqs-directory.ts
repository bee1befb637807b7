import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { CreateTopicCommand, GetTopicAttributesCommand, ListTopicsCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DestinationNotFoundError, InfrastructureError } from '../../errors';

/** What the backend needs to know about a queue, read once and then cached. */
export interface QueueInfo {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
  /** From the queue's redrive policy: where `deadLetter()` sends messages. */
  readonly deadLetterTargetArn?: string;
  /** Seconds a received message stays invisible, as the queue is configured. */
  readonly visibilityTimeout: number;
}

export interface TopicInfo {
  readonly arn: string;
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
}

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

export function parseRedrivePolicy(text: string | undefined): RedrivePolicy | undefined {
  if (!text) {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'deadLetterTargetArn' in parsed) {
      const policy = parsed as { deadLetterTargetArn: unknown; maxReceiveCount?: unknown };
      return {
        deadLetterTargetArn: String(policy.deadLetterTargetArn),
        maxReceiveCount: Number(policy.maxReceiveCount),
      };
    }
  } catch {
    // A policy we cannot read is treated as none; SQS would not have accepted it anyway.
  }
  return undefined;
}

export function isQueueMissing(error: unknown): boolean {
  return (
    error instanceof QueueDoesNotExist ||
    (error instanceof Error &&
      (error.name === 'AWS.SimpleQueueService.NonExistentQueue' || error.name === 'QueueDoesNotExist'))
  );
}

function isInvalidParameter(error: unknown): boolean {
  return error instanceof Error && (error.name === 'InvalidParameterException' || error.name === 'InvalidParameter');
}

/** The attributes queueInfoOf() reads. */
export const QUEUE_INFO_ATTRIBUTES: QueueAttributeName[] = ['QueueArn', 'FifoQueue', 'ContentBasedDeduplication', 'RedrivePolicy', 'VisibilityTimeout'];

/** What the backend keeps of a queue's attributes (GetQueueAttributes' answer). */
export function queueInfoOf(name: string, url: string, values: Partial<Record<string, string>>): QueueInfo {
  return {
    name,
    url,
    arn: values.QueueArn ?? '',
    fifo: values.FifoQueue === 'true',
    contentBasedDeduplication: values.ContentBasedDeduplication === 'true',
    // SQS's own default when the broker does not say.
    visibilityTimeout: Number(values.VisibilityTimeout ?? '30'),
    deadLetterTargetArn: parseRedrivePolicy(values.RedrivePolicy)?.deadLetterTargetArn,
  };
}

const QUEUE_URL = /^https?:\/\//i;

/** The last path segment of a queue URL is its name. */
export function queueNameOf(nameOrUrl: string): string {
  return QUEUE_URL.test(nameOrUrl) ? (nameOrUrl.split('/').filter(Boolean).pop() ?? nameOrUrl) : nameOrUrl;
}

/**
 * Resolves queue names to URLs/attributes and topic names to ARNs, once per name: publishing
 * must not cost a GetQueueUrl or CreateTopic per message (a known defect of Python melange).
 * Concurrent lookups of one name share a single request.
 */
export class SqsDirectory {
  private readonly queues = new LookupCache((nameOrUrl) => this.lookUpQueue(nameOrUrl));
  private readonly topics = new LookupCache((nameOrArn) => this.lookUpTopic(nameOrArn));

  constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
  ) {}

  queue(nameOrUrl: string): Promise<QueueInfo> {
    return this.queues.get(nameOrUrl);
  }

  /** The queue's info if a lookup already has it: a send to a known queue needs no await. */
  knownQueue(nameOrUrl: string): QueueInfo | undefined {
    return this.queues.known(nameOrUrl);
  }

  /** Finds a queue from its ARN, e.g. a redrive policy's dead-letter target. */
  queueByArn(arn: string): Promise<QueueInfo> {
    const parts = arn.split(':');
    const name = parts[5];
    if (parts.length !== 6 || parts[2] !== 'sqs' || !name) {
      return Promise.reject(new InfrastructureError(arn, 'it is not an SQS queue ARN'));
    }
    return this.queue(name);
  }

  /** Records what a declaration read and wrote, so the consumers and publishers need no lookup. */
  rememberQueue(nameOrUrl: string, info: QueueInfo): void {
    this.queues.remember(nameOrUrl, info);
  }

  /**
   * An ARN is used as given. A name is looked up with ListTopics, once per topic: never created
   * here, so publishing needs no sns:CreateTopic permission and a misspelt name fails instead of
   * creating a topic nobody subscribes to. Declared topics are known without a lookup.
   */
  topic(nameOrArn: string): Promise<TopicInfo> {
    return this.topics.get(nameOrArn);
  }

  /** The topic's info if a lookup or declaration already has it. */
  knownTopic(nameOrArn: string): TopicInfo | undefined {
    return this.topics.known(nameOrArn);
  }

  async topicArn(nameOrArn: string): Promise<string> {
    return (await this.topic(nameOrArn)).arn;
  }

  /** Records what a declaration learned, so publishing needs no lookup. */
  rememberTopic(name: string, info: TopicInfo): void {
    this.topics.remember(name, info);
  }

  /**
   * CreateTopic with the attributes given, falling back to a ListTopics search when the topic
   * exists with other attributes (a FIFO topic with content-based de-duplication, say): brokers
   * differ on whether attributes left out count as a mismatch.
   */
  async createOrFindTopic(name: string, attributes: Record<string, string> | undefined): Promise<string> {
    try {
      const response = await this.sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes }));
      if (response.TopicArn) {
        return response.TopicArn;
      }
    } catch (error) {
      if (!isInvalidParameter(error)) {
        throw error;
      }
      const found = await this.findTopicArn(name);
      if (found === undefined) {
        throw error;
      }
      return found;
    }
    throw new DestinationNotFoundError(name, 'CreateTopic returned no TopicArn');
  }

  private async findTopicArn(name: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.sns.send(new ListTopicsCommand({ NextToken: nextToken }));
      const match = page.Topics?.find((topic) => topic.TopicArn?.endsWith(`:${name}`));
      if (match?.TopicArn) {
        return match.TopicArn;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return undefined;
  }

  private async lookUpTopic(nameOrArn: string): Promise<TopicInfo> {
    const fifo = nameOrArn.endsWith('.fifo');
    const arn = nameOrArn.startsWith('arn:') ? nameOrArn : await this.findTopicArn(nameOrArn);
    if (arn === undefined) {
      throw new DestinationNotFoundError(
        nameOrArn,
        'no topic has this name: declare it (autoCreate, or declareTopic in a setup script), create it on the broker, or publish to its ARN',
      );
    }
    let contentBasedDeduplication = false;
    if (fifo) {
      // Only FIFO topics need it: it decides whether a send without a deduplication id gets one.
      const attributes = await this.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
      contentBasedDeduplication = attributes.Attributes?.ContentBasedDeduplication === 'true';
    }
    return { arn, fifo, contentBasedDeduplication };
  }

  private async lookUpQueue(nameOrUrl: string): Promise<QueueInfo> {
    const name = queueNameOf(nameOrUrl);
    let url = nameOrUrl;
    if (!QUEUE_URL.test(nameOrUrl)) {
      try {
        const response = await this.sqs.send(new GetQueueUrlCommand({ QueueName: nameOrUrl }));
        url = response.QueueUrl ?? '';
      } catch (error) {
        if (isQueueMissing(error)) {
          throw new DestinationNotFoundError(
            nameOrUrl,
            'declare the queue (autoCreate, or declareQueue in a setup script) or create it on the broker first',
          );
        }
        throw error;
      }
    }
    const attributes = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: QUEUE_INFO_ATTRIBUTES }),
    );
    return queueInfoOf(name, url, attributes.Attributes ?? {});
  }
}

/**
 * One lookup per key, shared by concurrent callers. A failed lookup is not kept (the destination
 * may be created a moment later); a finished one is also readable without a promise.
 */
class LookupCache<T> {
  private readonly pending = new Map<string, Promise<T>>();
  private readonly found = new Map<string, T>();

  constructor(private readonly lookUp: (key: string) => Promise<T>) {}

  get(key: string): Promise<T> {
    let lookup = this.pending.get(key);
    if (lookup === undefined) {
      const started = this.lookUp(key);
      lookup = started;
      this.pending.set(key, started);
      started.then(
        (value) => {
          if (this.pending.get(key) === started) this.found.set(key, value);
        },
        () => {
          if (this.pending.get(key) === started) this.pending.delete(key);
        },
      );
    }
    return lookup;
  }

  known(key: string): T | undefined {
    return this.found.get(key);
  }

  remember(key: string, value: T): void {
    this.pending.set(key, Promise.resolve(value));
    this.found.set(key, value);
  }
}
