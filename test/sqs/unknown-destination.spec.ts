import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { DestinationNotFoundError } from '../../lib/errors';
import { BackendFactory, envelope, plainSns, uniqueName } from '../support/sqs';

describe('a destination that does not exist', () => {
  const factory = new BackendFactory();
  afterAll(() => factory.closeAll());

  it('fails the publish with a clear error, and creates no topic', async () => {
    const backend = factory.create();
    const topic = uniqueName('misspelt-topic');

    const failure = backend.publish(topic, envelope());

    await expect(failure).rejects.toThrow(DestinationNotFoundError);
    await expect(failure).rejects.toThrow(`"${topic}" does not exist on the broker: no topic has this name: declare it`);
    const sns = plainSns();
    const { Topics = [] } = await sns.send(new ListTopicsCommand({}));
    sns.destroy();
    expect(Topics.some((entry) => entry.TopicArn?.endsWith(`:${topic}`))).toBe(false);
  });

  it('fails a send to an unknown queue the same way', async () => {
    const backend = factory.create();
    const queue = uniqueName('misspelt-queue');

    await expect(backend.send(queue, envelope())).rejects.toThrow(`"${queue}" does not exist on the broker: declare the queue`);
  });
});
