import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BackendFactory, envelope, plainSqs, queueAttributes, queueUrl, RequestLog, uniqueName } from '../support/sqs';

/**
 * Declaring a queue that exists reads all its attributes and writes the differences; declaring one
 * that does not creates it and reads its ARN: either way that is all the backend needs to know of
 * it. Looking it up again (GetQueueUrl + GetQueueAttributes) cost two requests per queue at
 * start-up, which every Lambda cold start pays.
 */
describe('a declared queue', () => {
  const backends = new BackendFactory();
  const sqs = plainSqs();
  afterAll(async () => {
    await backends.closeAll();
    sqs.destroy();
  });

  it('over an existing one is sent to without another lookup, as the declaration left it', async () => {
    const name = uniqueName('declared-known');
    await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '30' } }));
    const log = new RequestLog();
    const backend = backends.createLogged(log);

    await backend.declareQueue({ name, visibilityTimeout: 45, deadLetterQueue: `${name}-dlq`, maxReceiveCount: 4 });
    const lookupsAfterDeclaring = log.count('GetQueueUrl') + log.count('GetQueueAttributes');
    const sent = envelope();
    await backend.send(name, sent);

    expect(log.count('GetQueueUrl') + log.count('GetQueueAttributes')).toBe(lookupsAfterDeclaring);
    expect(log.count('SendMessage')).toBe(1);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(sqs, name), MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
    expect(received.Messages?.[0]?.MessageAttributes?.melange_message_id?.StringValue).toBe(sent.messageId);
    const attributes = await queueAttributes(sqs, name);
    expect(attributes.VisibilityTimeout).toBe('45');
    expect(JSON.parse(attributes.RedrivePolicy ?? '{}')).toMatchObject({ maxReceiveCount: 4 });
  });

  it('that the declaration creates is sent to without a lookup, as a FIFO queue with its dead-letter queue', async () => {
    const name = uniqueName('declared-created', true);
    const log = new RequestLog();
    const backend = backends.createLogged(log);

    await backend.declareQueue({ name, fifo: true, visibilityTimeout: 45, deadLetterQueue: name.replace('.fifo', '-dlq.fifo'), maxReceiveCount: 4 });
    const createdAndRead = { creates: log.count('CreateQueue'), reads: log.count('GetQueueAttributes'), urlLookups: log.count('GetQueueUrl') };
    const sent = envelope();
    await backend.send(name, sent, { groupId: 'orders-1', deduplicationId: sent.messageId });

    // Two queues created; each one's existence asked once (GetQueueUrl) and its attributes read once.
    expect(createdAndRead).toEqual({ creates: 2, reads: 2, urlLookups: 2 });
    expect({ reads: log.count('GetQueueAttributes'), urlLookups: log.count('GetQueueUrl'), sends: log.count('SendMessage') }).toEqual({ reads: 2, urlLookups: 2, sends: 1 });
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl(sqs, name), MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['MessageGroupId'], WaitTimeSeconds: 1 }));
    expect(received.Messages?.[0]?.MessageAttributes?.melange_message_id?.StringValue).toBe(sent.messageId);
    expect(received.Messages?.[0]?.Attributes?.MessageGroupId).toBe('orders-1');
  });
});
