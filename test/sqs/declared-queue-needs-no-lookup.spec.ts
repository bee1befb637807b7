import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BackendFactory, envelope, plainSqs, queueAttributes, queueUrl, RequestLog, uniqueName } from '../support/sqs';

/**
 * Declaring a queue that exists reads all its attributes and writes the differences: that is all
 * the backend needs to know of it. Looking it up again (GetQueueUrl + GetQueueAttributes) cost two
 * requests per queue at start-up, which every Lambda cold start pays.
 */
describe('a queue declared over an existing one', () => {
  const backends = new BackendFactory();
  const sqs = plainSqs();
  afterAll(async () => {
    await backends.closeAll();
    sqs.destroy();
  });

  it('is sent to without another lookup, as the declaration left it', async () => {
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
});
