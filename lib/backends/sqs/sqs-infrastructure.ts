import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { InfrastructureError } from '../../errors';
import type { QueueSpec, SubscriptionSpec, TopicSpec } from '../messaging-backend';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  checkQueueSpec,
  desiredQueueAttributes,
  filterPolicyOf,
  mergeTopicPermission,
  queueAttributeChanges,
  sameJson,
} from './sqs-declaration-rules';
import { QUEUE_INFO_ATTRIBUTES, isQueueMissing, queueInfoOf, type QueueInfo, type SqsDirectory } from './sqs-directory';

/**
 * Declares queues, topics and subscriptions so that running a declaration twice changes nothing:
 * what exists is read first and only the differences are written. Attributes a spec leaves out are
 * left as they are on the broker.
 */
export class SqsInfrastructure {
  /** Policy updates are read-modify-write; two subscriptions to one queue must not interleave. */
  private readonly policyUpdates = new Map<string, Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
    private readonly directory: SqsDirectory,
    private readonly defaultMaxReceiveCount: number,
  ) {}

  async declareQueue(spec: QueueSpec): Promise<void> {
    const fifo = checkQueueSpec(spec);
    const deadLetterArn = spec.deadLetterQueue ? await this.ensureDeadLetterQueue(spec.deadLetterQueue, fifo) : undefined;
    const desired = desiredQueueAttributes(spec, deadLetterArn, this.defaultMaxReceiveCount);

    // What the declaration read, wrote or created is what the queue is now: publishers and
    // consumers need not look it up again (GetQueueUrl + GetQueueAttributes per queue at start-up,
    // which a Lambda cold start pays).
    const url = await this.findQueueUrl(spec.name);
    if (url === undefined) {
      const created = await this.createQueue(spec.name, desired);
      this.directory.rememberQueue(spec.name, created);
    } else {
      const attributes = await this.updateQueue(spec.name, url, desired);
      this.directory.rememberQueue(spec.name, queueInfoOf(spec.name, url, attributes));
    }
  }

  /** CreateQueue answers with the URL only; the ARN is the broker's to say, so it is asked for. */
  private async createQueue(name: string, desired: Partial<Record<QueueAttributeName, string>>): Promise<QueueInfo> {
    const { QueueUrl: url } = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: desired }));
    if (!url) throw new InfrastructureError(name, 'the broker created the queue but answered with no QueueUrl');
    const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: QUEUE_INFO_ATTRIBUTES }));
    return queueInfoOf(name, url, response.Attributes ?? {});
  }

  async declareTopic(spec: TopicSpec): Promise<void> {
    const nameIsFifo = spec.name.endsWith('.fifo');
    const fifo = spec.fifo ?? nameIsFifo;
    if (fifo !== nameIsFifo) {
      throw new InfrastructureError(
        spec.name,
        fifo ? 'a FIFO topic name must end in ".fifo"' : 'a name ending in ".fifo" is only allowed for FIFO topics',
      );
    }
    if (spec.contentBasedDeduplication !== undefined && !fifo) {
      throw new InfrastructureError(spec.name, 'contentBasedDeduplication only applies to FIFO topics');
    }
    const attributes: Record<string, string> = {};
    if (fifo) {
      attributes.FifoTopic = 'true';
      if (spec.contentBasedDeduplication !== undefined) {
        attributes.ContentBasedDeduplication = String(spec.contentBasedDeduplication);
      }
    }
    const topicArn = await this.directory.createOrFindTopic(spec.name, fifo ? attributes : undefined);
    let contentBasedDeduplication = false;
    if (fifo) {
      const current = await this.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
      contentBasedDeduplication = current.Attributes?.ContentBasedDeduplication === 'true';
      if (spec.contentBasedDeduplication !== undefined && spec.contentBasedDeduplication !== contentBasedDeduplication) {
        await this.sns.send(
          new SetTopicAttributesCommand({
            TopicArn: topicArn,
            AttributeName: 'ContentBasedDeduplication',
            AttributeValue: String(spec.contentBasedDeduplication),
          }),
        );
        contentBasedDeduplication = spec.contentBasedDeduplication;
      }
    }
    this.directory.rememberTopic(spec.name, { arn: topicArn, fifo, contentBasedDeduplication });
  }

  async declareSubscription(spec: SubscriptionSpec): Promise<void> {
    const filterPolicy = filterPolicyOf(spec);
    const topicArn = await this.directory.topicArn(spec.topic);
    const queue = await this.directory.queue(spec.queue);
    await this.allowTopicToSend(queue, topicArn);

    const desired: Record<string, string> = { RawMessageDelivery: spec.rawDelivery ? 'true' : 'false' };
    if (filterPolicy) {
      desired.FilterPolicy = JSON.stringify(filterPolicy);
    }
    const existingArn = await this.findSubscription(topicArn, queue.arn);
    if (existingArn === undefined) {
      const attributes: Record<string, string> = {};
      if (spec.rawDelivery) {
        attributes.RawMessageDelivery = 'true';
      }
      if (desired.FilterPolicy) {
        attributes.FilterPolicy = desired.FilterPolicy;
      }
      await this.sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'sqs',
          Endpoint: queue.arn,
          Attributes: attributes,
          ReturnSubscriptionArn: true,
        }),
      );
      return;
    }
    const current =
      (await this.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: existingArn }))).Attributes ?? {};
    const changes: Array<[string, string]> = [];
    if ((current.RawMessageDelivery ?? 'false') !== desired.RawMessageDelivery) {
      changes.push(['RawMessageDelivery', desired.RawMessageDelivery]);
    }
    if (desired.FilterPolicy !== undefined && !sameJson(current.FilterPolicy, desired.FilterPolicy)) {
      changes.push(['FilterPolicy', desired.FilterPolicy]);
    }
    if (desired.FilterPolicy === undefined && current.FilterPolicy && !sameJson(current.FilterPolicy, '{}')) {
      // The spec no longer filters: every message should reach the queue again.
      changes.push(['FilterPolicy', '']);
    }
    for (const [name, value] of changes) {
      await this.sns.send(
        new SetSubscriptionAttributesCommand({ SubscriptionArn: existingArn, AttributeName: name, AttributeValue: value }),
      );
    }
  }

  private async ensureDeadLetterQueue(name: string, fifo: boolean): Promise<string> {
    let url = await this.findQueueUrl(name);
    if (url === undefined) {
      const attributes: Partial<Record<QueueAttributeName, string>> = {
        MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
      };
      if (fifo) {
        attributes.FifoQueue = 'true';
      }
      url = (await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl;
    }
    const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    const arn = response.Attributes?.QueueArn;
    if (!arn) {
      throw new InfrastructureError(name, 'the broker reported no QueueArn for this dead-letter queue');
    }
    return arn;
  }

  async findQueueUrl(name: string): Promise<string | undefined> {
    try {
      return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
    } catch (error) {
      if (isQueueMissing(error)) {
        return undefined;
      }
      throw error;
    }
  }

  private async updateQueue(
    name: string,
    url: string,
    desired: Partial<Record<QueueAttributeName, string>>,
  ): Promise<Partial<Record<string, string>>> {
    const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    const current = response.Attributes ?? {};
    if ((current.FifoQueue === 'true') !== (desired.FifoQueue === 'true')) {
      throw new InfrastructureError(
        name,
        `it exists as a ${current.FifoQueue === 'true' ? 'FIFO' : 'standard'} queue; SQS cannot change that, delete it or use another name`,
      );
    }
    const changes = queueAttributeChanges(current, desired);
    if (Object.keys(changes).length > 0) {
      await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: changes }));
    }
    return { ...current, ...changes };
  }

  private allowTopicToSend(queue: QueueInfo, topicArn: string): Promise<void> {
    const previous = this.policyUpdates.get(queue.url) ?? Promise.resolve();
    const update = previous.catch(() => undefined).then(() => this.mergePolicy(queue, topicArn));
    this.policyUpdates.set(queue.url, update);
    return update;
  }

  private async mergePolicy(queue: QueueInfo, topicArn: string): Promise<void> {
    const response = await this.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }),
    );
    const policy = mergeTopicPermission(response.Attributes?.Policy, queue.arn, topicArn);
    if (policy !== undefined) {
      await this.sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { Policy: policy } }));
    }
  }

  /** The subscription delivering the topic to the queue, if any. */
  async findSubscription(topicArn: string, queueArn: string): Promise<string | undefined> {
    let nextToken: string | undefined;
    do {
      const page = await this.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: nextToken }));
      const match = page.Subscriptions?.find(
        (subscription) =>
          subscription.Protocol === 'sqs' &&
          subscription.Endpoint === queueArn &&
          subscription.SubscriptionArn !== undefined &&
          subscription.SubscriptionArn !== 'PendingConfirmation',
      );
      if (match?.SubscriptionArn) {
        return match.SubscriptionArn;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return undefined;
  }
}
