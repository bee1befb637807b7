import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GetSubscriptionAttributesCommand, GetTopicAttributesCommand, type SNSClient } from '@aws-sdk/client-sns';
import { DestinationNotFoundError } from '../../../errors';
import type { PlannedChange } from '../../backend-admin';
import type { QueueSpec, SubscriptionSpec, TopicSpec } from '../../messaging-backend';
import type { SqsDirectory } from '../sqs-directory';
import {
  DEAD_LETTER_RETENTION_SECONDS,
  checkQueueSpec,
  desiredQueueAttributes,
  filterPolicyOf,
  mergeTopicPermission,
  queueAttributeChanges,
  sameJson,
} from '../sqs-declaration-rules';
import type { SqsInfrastructure } from '../sqs-infrastructure';

type Change = PlannedChange['changes'][number];

/** A queue or topic that does not exist is part of the plan; any other failure is not. */
function unlessMissing(error: unknown): undefined {
  if (error instanceof DestinationNotFoundError) return undefined;
  throw error;
}

function placeholderArn(name: string): string {
  return `(ARN of the new queue "${name}")`;
}

/**
 * What `SqsInfrastructure` would create or change, computed from the same helpers it declares
 * with, by read requests only (GetQueueUrl, GetQueueAttributes, ListTopics, GetTopicAttributes,
 * ListSubscriptionsByTopic, GetSubscriptionAttributes).
 */
export class SqsDeclarationPlan {
  private readonly plannedQueues = new Set<string>();
  private readonly plannedTopics = new Set<string>();
  private readonly changes: PlannedChange[] = [];

  constructor(
    private readonly sqs: SQSClient,
    private readonly sns: SNSClient,
    private readonly directory: SqsDirectory,
    private readonly infrastructure: SqsInfrastructure,
    private readonly defaultMaxReceiveCount: number,
  ) {}

  async build(queues: readonly QueueSpec[], topics: readonly TopicSpec[], subscriptions: readonly SubscriptionSpec[]): Promise<PlannedChange[]> {
    // The order MelangeInfrastructure declares in: dead-letter queues before the queues naming them.
    const ordered = [...queues].sort((a, b) => Number(Boolean(a.deadLetterQueue)) - Number(Boolean(b.deadLetterQueue)));
    for (const queue of ordered) await this.planQueue(queue);
    for (const topic of topics) await this.planTopic(topic);
    for (const subscription of subscriptions) await this.planSubscription(subscription);
    return this.changes;
  }

  private async queueAttributes(name: string): Promise<Record<string, string> | undefined> {
    const url = await this.infrastructure.findQueueUrl(name);
    if (url === undefined) return undefined;
    const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    return response.Attributes ?? {};
  }

  private async planQueue(spec: QueueSpec): Promise<void> {
    const fifo = checkQueueSpec(spec);
    let deadLetterArn: string | undefined;
    if (spec.deadLetterQueue) {
      const existing = this.plannedQueues.has(spec.deadLetterQueue) ? undefined : await this.queueAttributes(spec.deadLetterQueue);
      if (existing === undefined && !this.plannedQueues.has(spec.deadLetterQueue)) {
        const attributes: Record<string, string> = { MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS };
        if (fifo) attributes.FifoQueue = 'true';
        this.create('queue', spec.deadLetterQueue, attributes);
        this.plannedQueues.add(spec.deadLetterQueue);
      }
      deadLetterArn = existing?.QueueArn ?? placeholderArn(spec.deadLetterQueue);
    }
    const desired = desiredQueueAttributes(spec, deadLetterArn, this.defaultMaxReceiveCount);
    const current = this.plannedQueues.has(spec.name) ? undefined : await this.queueAttributes(spec.name);
    if (current === undefined) {
      if (!this.plannedQueues.has(spec.name)) this.create('queue', spec.name, desired);
      this.plannedQueues.add(spec.name);
      return;
    }
    const changed = queueAttributeChanges(current, desired);
    const list = Object.entries(changed).map(([attribute, to]): Change => ({ attribute, from: current[attribute], to: to ?? '' }));
    this.changes.push({ kind: 'queue', name: spec.name, action: list.length > 0 ? 'update' : 'none', changes: list });
  }

  private async planTopic(spec: TopicSpec): Promise<void> {
    const fifo = spec.fifo ?? spec.name.endsWith('.fifo');
    const arn = await this.topicArn(spec.name);
    if (arn === undefined) {
      const attributes: Record<string, string> = {};
      if (fifo) attributes.FifoTopic = 'true';
      if (fifo && spec.contentBasedDeduplication !== undefined) attributes.ContentBasedDeduplication = String(spec.contentBasedDeduplication);
      this.create('topic', spec.name, attributes);
      this.plannedTopics.add(spec.name);
      return;
    }
    const list: Change[] = [];
    if (fifo && spec.contentBasedDeduplication !== undefined) {
      const current = (await this.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes ?? {};
      const from = current.ContentBasedDeduplication ?? 'false';
      if (from !== String(spec.contentBasedDeduplication)) list.push({ attribute: 'ContentBasedDeduplication', from, to: String(spec.contentBasedDeduplication) });
    }
    this.changes.push({ kind: 'topic', name: spec.name, action: list.length > 0 ? 'update' : 'none', changes: list });
  }

  private async planSubscription(spec: SubscriptionSpec): Promise<void> {
    const filterPolicy = filterPolicyOf(spec);
    const name = `${spec.topic} → ${spec.queue}`;
    const topicArn = this.plannedTopics.has(spec.topic) ? undefined : await this.topicArn(spec.topic);
    const queue = this.plannedQueues.has(spec.queue) ? undefined : await this.directory.queue(spec.queue).catch(unlessMissing);
    const shownTopicArn = topicArn ?? `(ARN of the new topic "${spec.topic}")`;

    const currentPolicy = queue
      ? (await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Policy'] }))).Attributes?.Policy
      : undefined;
    const policy = mergeTopicPermission(currentPolicy, queue?.arn ?? placeholderArn(spec.queue), shownTopicArn);
    this.changes.push({
      kind: 'queue-policy',
      name: spec.queue,
      action: policy === undefined ? 'none' : currentPolicy === undefined ? 'create' : 'update',
      changes: policy === undefined ? [] : [{ attribute: 'Policy', from: currentPolicy, to: policy }],
    });

    const wanted: Record<string, string> = { RawMessageDelivery: spec.rawDelivery ? 'true' : 'false' };
    if (filterPolicy) wanted.FilterPolicy = JSON.stringify(filterPolicy);
    const existing = topicArn && queue ? await this.infrastructure.findSubscription(topicArn, queue.arn) : undefined;
    if (existing === undefined) {
      this.create('subscription', name, wanted);
      return;
    }
    const current = (await this.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: existing }))).Attributes ?? {};
    const list: Change[] = [];
    const raw = current.RawMessageDelivery ?? 'false';
    if (raw !== wanted.RawMessageDelivery) list.push({ attribute: 'RawMessageDelivery', from: raw, to: wanted.RawMessageDelivery });
    if (wanted.FilterPolicy !== undefined && !sameJson(current.FilterPolicy, wanted.FilterPolicy)) {
      list.push({ attribute: 'FilterPolicy', from: current.FilterPolicy, to: wanted.FilterPolicy });
    }
    if (wanted.FilterPolicy === undefined && current.FilterPolicy && !sameJson(current.FilterPolicy, '{}')) {
      list.push({ attribute: 'FilterPolicy', from: current.FilterPolicy, to: '' });
    }
    this.changes.push({ kind: 'subscription', name, action: list.length > 0 ? 'update' : 'none', changes: list });
  }

  private topicArn(name: string): Promise<string | undefined> {
    return this.directory.topicArn(name).catch(unlessMissing);
  }

  private create(kind: PlannedChange['kind'], name: string, attributes: Readonly<Record<string, string | undefined>>): void {
    const changes = Object.entries(attributes).map(([attribute, to]): Change => ({ attribute, to: to ?? '' }));
    this.changes.push({ kind, name, action: 'create', changes });
  }
}
