import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SendFailedError } from '../../lib/errors';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { BackendFactory, RequestLog, envelope, plainSns, plainSqs, receivePlain, uniqueName } from '../support/sqs';

/** Requests are counted by middleware on real SDK clients talking to the local server; nothing is mocked. */
describe('send batching', () => {
  const factory = new BackendFactory();
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('coalesces 25 concurrent sends to one queue into SendMessageBatch requests of at most 10', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('batch');
    await backend.declareQueue({ name: queue });
    const envelopes = Array.from({ length: 25 }, (_, index) => envelope({ payload: `{"n":${index}}` }));
    log.clear();

    const results = await Promise.all(envelopes.map((sent) => backend.send(queue, sent)));

    expect(log.count('SendMessageBatch')).toBe(3);
    expect(log.count('SendMessage')).toBe(0);
    expect(results.map((result) => result.messageId)).toEqual(envelopes.map((sent) => sent.messageId));
    expect(new Set(results.map((result) => result.brokerMessageId)).size).toBe(25);
    const received = await receivePlain(sqs, queue, 25);
    expect(received).toHaveLength(25);
  });

  it('coalesces concurrent publishes to one topic into PublishBatch requests', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const topic = uniqueName('batch-topic');
    const queue = uniqueName('batch-topic-queue');
    await backend.declareQueue({ name: queue });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue, rawDelivery: true });
    await backend.publish(topic, envelope());
    log.clear();

    await Promise.all(Array.from({ length: 12 }, () => backend.publish(topic, envelope())));

    expect(log.count('PublishBatch')).toBe(2);
    expect(log.count('Publish')).toBe(0);
    expect(await receivePlain(sqs, queue, 13)).toHaveLength(13);
  });

  it('sends a lone message with a plain SendMessage', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('batch-single');
    // Created behind the backend's back, so that it has to look the queue up.
    await sqs.send(new CreateQueueCommand({ QueueName: queue }));

    await backend.send(queue, envelope());

    expect(log.commands).toEqual(['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage']);
  });

  it('keeps a request under the queue’s 1 MiB by starting a new batch when the next message would not fit', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('batch-size');
    await backend.declareQueue({ name: queue });
    const big = 'x'.repeat(400 * 1024);
    await backend.send(queue, envelope());
    log.clear();

    await Promise.all([1, 2, 3].map(() => backend.send(queue, envelope({ payload: big }))));

    // 2 × 400 KiB fit in one request, a third would not.
    expect(log.commands).toEqual(['sqs:SendMessageBatch', 'sqs:SendMessage']);
  });

  it('resolves each message on its own: a refused entry rejects only its own send', async () => {
    const backend = factory.create();
    const queue = uniqueName('batch-partial');
    await backend.declareQueue({ name: queue });
    // U+FFFF is not allowed in an SQS body; JSON does not escape it, so the broker refuses that entry.
    const refused = envelope({ payload: 'bad \uffff char' });

    const outcomes = await Promise.allSettled([
      backend.send(queue, envelope()),
      backend.send(queue, refused),
      backend.send(queue, envelope()),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const failure = (outcomes[1] as PromiseRejectedResult).reason;
    expect(failure).toBeInstanceOf(SendFailedError);
    expect(failure).toMatchObject({ destination: queue, messageId: refused.messageId, code: 'InvalidMessageContents' });
  });

  it('resolves a queue URL and a topic ARN once, not per message', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('batch-cache');
    const topic = uniqueName('batch-cache-topic');
    // Created behind the backend's back, so that it has to look them up.
    await sqs.send(new CreateQueueCommand({ QueueName: queue }));
    const sns = plainSns();
    await sns.send(new CreateTopicCommand({ Name: topic }));
    sns.destroy();
    log.clear();

    for (let index = 0; index < 5; index++) {
      await backend.send(queue, envelope());
      await backend.publish(topic, envelope());
    }

    expect(log.count('GetQueueUrl')).toBe(1);
    expect(log.count('ListTopics')).toBe(1);
    expect(log.count('CreateTopic')).toBe(0);
    expect(log.count('SendMessage')).toBe(5);
    expect(log.count('Publish')).toBe(5);
  });
});
