import { CreateQueueCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { InfrastructureError } from '../../lib/errors';
import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import type { QueueSpec, SubscriptionSpec, TopicSpec } from '../../lib/backends/messaging-backend';
import { BackendFactory, RequestLog, plainSns, plainSqs, queueAttributes, uniqueName } from '../support/sqs';

/** Requests that change something on the broker; a repeated declaration must make none. */
const WRITES = [
  'CreateQueue',
  'SetQueueAttributes',
  'CreateTopic',
  'SetTopicAttributes',
  'Subscribe',
  'SetSubscriptionAttributes',
];

describe('infrastructure declaration', () => {
  const factory = new BackendFactory();
  const log = new RequestLog();
  let backend: SqsBackend;
  let sqs: SQSClient;
  let sns: SNSClient;

  beforeAll(() => {
    backend = factory.createLogged(log, { maxReceiveCount: 3 });
    sqs = plainSqs();
    sns = plainSns();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
    sns.destroy();
  });

  async function declareAll(queues: QueueSpec[], topics: TopicSpec[], subscriptions: SubscriptionSpec[]): Promise<void> {
    for (const queue of queues) {
      await backend.declareQueue(queue);
    }
    for (const topic of topics) {
      await backend.declareTopic(topic);
    }
    for (const subscription of subscriptions) {
      await backend.declareSubscription(subscription);
    }
  }

  async function subscriptionsOf(topicName: string): Promise<Array<Record<string, string>>> {
    const arn = `arn:aws:sns:us-east-1:000000000000:${topicName}`;
    const list = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    return Promise.all(
      (list.Subscriptions ?? []).map(
        async (subscription) =>
          (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription.SubscriptionArn })))
            .Attributes ?? {},
      ),
    );
  }

  it('creates queues with their attributes and a redrive policy to a dead-letter queue it creates too', async () => {
    const queue = uniqueName('infra');
    const deadLetters = uniqueName('infra-dlq');

    await backend.declareQueue({
      name: queue,
      visibilityTimeout: 45,
      messageRetentionPeriod: 86_400,
      delaySeconds: 2,
      deadLetterQueue: deadLetters,
      maxReceiveCount: 7,
    });

    const attributes = await queueAttributes(sqs, queue);
    const deadLetterAttributes = await queueAttributes(sqs, deadLetters);
    expect(attributes).toMatchObject({ VisibilityTimeout: '45', MessageRetentionPeriod: '86400', DelaySeconds: '2' });
    expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: deadLetterAttributes.QueueArn,
      maxReceiveCount: 7,
    });
    expect(deadLetterAttributes.MessageRetentionPeriod).toBe('1209600');
  });

  it('uses the backend’s maxReceiveCount when the queue spec gives none', async () => {
    const queue = uniqueName('infra-default');

    await backend.declareQueue({ name: queue, deadLetterQueue: uniqueName('infra-default-dlq') });

    expect(JSON.parse((await queueAttributes(sqs, queue)).RedrivePolicy ?? '{}').maxReceiveCount).toBe(3);
  });

  it('creates FIFO queues and topics with content-based de-duplication when asked', async () => {
    const queue = uniqueName('infra', true);
    const topic = uniqueName('infra-topic', true);

    await backend.declareQueue({ name: queue, contentBasedDeduplication: true, deadLetterQueue: uniqueName('infra-dlq', true) });
    await backend.declareTopic({ name: topic, contentBasedDeduplication: true });

    expect(await queueAttributes(sqs, queue)).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'true' });
    const topicAttributes = await sns.send(
      new GetTopicAttributesCommand({ TopicArn: `arn:aws:sns:us-east-1:000000000000:${topic}` }),
    );
    expect(topicAttributes.Attributes).toMatchObject({ FifoTopic: 'true', ContentBasedDeduplication: 'true' });
  });

  it('subscribes with raw delivery and a filter policy by manifest', async () => {
    const topic = uniqueName('infra-topic');
    const queue = uniqueName('infra-sub');

    await declareAll([{ name: queue }], [{ name: topic }], [
      { topic, queue, rawDelivery: true, manifests: ['OrderCreated', 'OrderShipped'] },
    ]);

    const [subscription] = await subscriptionsOf(topic);
    expect(subscription).toMatchObject({ Protocol: 'sqs', RawMessageDelivery: 'true' });
    expect(JSON.parse(subscription?.FilterPolicy ?? '{}')).toEqual({ manifest: ['OrderCreated', 'OrderShipped'] });
  });

  it('changes nothing when the same infrastructure is declared twice', async () => {
    const topic = uniqueName('infra-topic');
    const fifoTopic = uniqueName('infra-topic', true);
    const queue = uniqueName('infra-twice');
    const fifoQueue = uniqueName('infra-twice', true);
    const queues: QueueSpec[] = [
      { name: queue, visibilityTimeout: 20, deadLetterQueue: uniqueName('infra-twice-dlq'), maxReceiveCount: 4 },
      { name: fifoQueue, contentBasedDeduplication: false },
    ];
    const topics: TopicSpec[] = [{ name: topic }, { name: fifoTopic, contentBasedDeduplication: true }];
    const subscriptions: SubscriptionSpec[] = [
      { topic, queue, manifests: ['OrderCreated'] },
      { topic: fifoTopic, queue: fifoQueue, rawDelivery: true },
    ];
    await declareAll(queues, topics, subscriptions);
    const before = await Promise.all([queueAttributes(sqs, queue), subscriptionsOf(topic)]);
    log.clear();

    await declareAll(queues, topics, subscriptions);

    // CreateTopic is the one write allowed: AWS documents it as idempotent, and it is how a name becomes an ARN.
    const writes = log.commands.filter((entry) => WRITES.some((write) => entry.endsWith(`:${write}`)));
    expect(writes).toEqual(['sns:CreateTopic', 'sns:CreateTopic']);
    const after = await Promise.all([queueAttributes(sqs, queue), subscriptionsOf(topic)]);
    expect(after[1]).toEqual(before[1]);
    expect({ ...after[0], LastModifiedTimestamp: undefined }).toEqual({ ...before[0], LastModifiedTimestamp: undefined });
  });

  it('applies only what changed when a declaration changes', async () => {
    const topic = uniqueName('infra-topic');
    const queue = uniqueName('infra-change');
    await declareAll([{ name: queue, visibilityTimeout: 20 }], [{ name: topic }], [{ topic, queue, manifests: ['A'] }]);
    log.clear();

    await declareAll(
      [{ name: queue, visibilityTimeout: 60 }],
      [{ name: topic }],
      [{ topic, queue, manifests: ['A', 'B'], rawDelivery: true }],
    );

    expect(log.count('SetQueueAttributes')).toBe(1);
    expect(log.count('SetSubscriptionAttributes')).toBe(2);
    expect(log.count('Subscribe')).toBe(0);
    expect((await queueAttributes(sqs, queue)).VisibilityTimeout).toBe('60');
    const [subscription] = await subscriptionsOf(topic);
    expect(subscription).toMatchObject({ RawMessageDelivery: 'true' });
    expect(JSON.parse(subscription?.FilterPolicy ?? '{}')).toEqual({ manifest: ['A', 'B'] });
  });

  it('keeps the first topic’s permission, and statements it did not write, when a second topic subscribes', async () => {
    const queue = uniqueName('infra-policy');
    const first = uniqueName('infra-first');
    const second = uniqueName('infra-second');
    const foreign = {
      Sid: 'AllowOpsRole',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::000000000000:role/ops' },
      Action: 'sqs:ReceiveMessage',
      Resource: '*',
    };
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [foreign] }) },
      }),
    );

    await declareAll([{ name: queue }], [{ name: first }, { name: second }], [
      { topic: first, queue },
      { topic: second, queue },
    ]);
    await backend.declareSubscription({ topic: first, queue });

    const attributes = await queueAttributes(sqs, queue);
    const policy = JSON.parse(attributes.Policy ?? '{}');
    expect(policy.Statement).toHaveLength(3);
    expect(policy.Statement[0]).toEqual(foreign);
    const sources = policy.Statement.slice(1).map(
      (statement: { Condition: { ArnEquals: Record<string, string> } }) => statement.Condition.ArnEquals['aws:SourceArn'],
    );
    expect(sources).toEqual([
      `arn:aws:sns:us-east-1:000000000000:${first}`,
      `arn:aws:sns:us-east-1:000000000000:${second}`,
    ]);
    expect(policy.Statement[1]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: attributes.QueueArn,
    });
  });

  it('keeps both permissions when two topics subscribe to one queue at the same time', async () => {
    const queue = uniqueName('infra-race');
    const topics = [uniqueName('infra-race-a'), uniqueName('infra-race-b'), uniqueName('infra-race-c')];
    await backend.declareQueue({ name: queue });

    await Promise.all(topics.map((topic) => backend.declareTopic({ name: topic })));
    await Promise.all(topics.map((topic) => backend.declareSubscription({ topic, queue })));

    expect(JSON.parse((await queueAttributes(sqs, queue)).Policy ?? '{}').Statement).toHaveLength(3);
  });

  it('refuses declarations that cannot work, saying why', async () => {
    await expect(backend.declareQueue({ name: 'orders', fifo: true })).rejects.toThrow(
      new InfrastructureError('orders', 'a FIFO queue name must end in ".fifo"'),
    );
    await expect(backend.declareQueue({ name: uniqueName('q', true), deadLetterQueue: 'plain-dlq' })).rejects.toThrow(
      /must be a FIFO queue like itself/,
    );
    await expect(backend.declareQueue({ name: 'orders', maxReceiveCount: 3 })).rejects.toThrow(/no deadLetterQueue/);
    const standard = uniqueName('infra-standard');
    await backend.declareQueue({ name: standard });
    await expect(
      backend.declareSubscription({ topic: uniqueName('t'), queue: standard, manifests: [] }),
    ).rejects.toThrow(/"manifests" is empty/);
    const topic = uniqueName('t');
    await backend.declareTopic({ name: topic });
    await expect(backend.declareSubscription({ topic, queue: uniqueName('missing') })).rejects.toThrow(
      /does not exist on the broker: declare the queue/,
    );
  });
});
