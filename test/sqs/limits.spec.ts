import { MessageRejectedError } from '../../lib/errors';
import { MessageTooLargeError } from '../../lib';
import { BackendFactory, RequestLog, envelope, uniqueName } from '../support/sqs';

/** What SQS and SNS would refuse is refused before any request, with a reason the caller can act on. */
describe('message limits', () => {
  const factory = new BackendFactory();
  const log = new RequestLog();
  const queue = uniqueName('limits');
  const topic = uniqueName('limits-topic');
  const backend = factory.createLogged(log);

  beforeEach(() => log.clear());

  afterAll(() => factory.closeAll());

  function userAttributes(count: number): Record<string, string> {
    return Object.fromEntries(Array.from({ length: count }, (_, index) => [`attr${index}`, `value${index}`]));
  }

  it('rejects a message over 1 MiB for a queue, and over 256 KiB for a topic, without sending anything', async () => {
    const forQueue = envelope({ payload: 'x'.repeat(1024 * 1024) });
    const forTopic = envelope({ payload: 'x'.repeat(256 * 1024) });

    const refused = await backend.send(queue, forQueue).catch((error: unknown) => error);
    await expect(backend.publish(topic, forTopic)).rejects.toThrow(/over the limit of 262144 bytes for an SNS topic/);

    expect(refused).toBeInstanceOf(MessageTooLargeError);
    expect(refused).toBeInstanceOf(MessageRejectedError);
    expect(refused).toMatchObject({ destination: queue, messageId: forQueue.messageId, limit: 1024 * 1024 });
    expect((refused as MessageTooLargeError).size).toBeGreaterThan(1024 * 1024);
    expect((refused as Error).message).toBe(
      `Message ${forQueue.messageId} for "${queue}" was not sent: it is ${(refused as MessageTooLargeError).size} bytes (body plus attributes), ` +
        'over the limit of 1048576 bytes for an SQS queue; offload large payloads to S3 with the SqsBackend option ' +
        'payloadOffloading: { bucket } (README, "Large messages"), or raise maxMessageBytes.queue if the queue\'s MaximumMessageSize allows more',
    );
    expect(log.commands).toEqual([]);
  });

  it('counts the attributes and the {"Message"} wrapper in the size', async () => {
    // The payload alone fits; wrapped and with its attributes it does not.
    const payload = 'x'.repeat(1024 * 1024 - 20);

    await expect(backend.send(queue, envelope({ payload }))).rejects.toThrow(/bytes \(body plus attributes\)/);
    expect(log.commands).toEqual([]);
  });

  it('takes other limits per kind of destination, or one for both', async () => {
    const small = factory.createLogged(log, { maxMessageBytes: { queue: 2048, topic: 1024 } });
    const one = factory.createLogged(log, { maxMessageBytes: 4096 });
    const payload = 'x'.repeat(1500);

    await expect(small.publish(topic, envelope({ payload }))).rejects.toThrow(/over the limit of 1024 bytes for an SNS topic/);
    await expect(small.send(queue, envelope({ payload: 'x'.repeat(2048) }))).rejects.toThrow(/over the limit of 2048 bytes for an SQS queue/);
    await expect(one.send(queue, envelope({ payload: 'x'.repeat(4096) }))).rejects.toThrow(/over the limit of 4096 bytes/);
    await expect(one.publish(topic, envelope({ payload: 'x'.repeat(4096) }))).rejects.toThrow(/over the limit of 4096 bytes/);
    expect(log.commands).toEqual([]);
  });

  it('rejects more than 10 attributes in total (the library uses 3), naming how many to remove', async () => {
    const crowded = envelope({ attributes: userAttributes(8) });

    await expect(backend.send(queue, crowded)).rejects.toThrow(
      `Message ${crowded.messageId} for "${queue}" was not sent: it has 11 message attributes ` +
        '(3 set by the library + 8 user attributes), SQS and SNS allow at most 10; remove 1 user attribute(s)',
    );
    await expect(backend.publish(topic, crowded)).rejects.toThrow(MessageRejectedError);
    expect(log.commands).toEqual([]);
  });

  it('rejects a user attribute named like one the library reserves', async () => {
    await expect(backend.send(queue, envelope({ attributes: { manifest: 'Other' } }))).rejects.toThrow(
      /attribute "manifest" is reserved by the library/,
    );
    expect(log.commands).toEqual([]);
  });

  it('rejects attribute names and values SQS would refuse', async () => {
    await expect(backend.send(queue, envelope({ attributes: { 'has space': 'x' } }))).rejects.toThrow(/name "has space" is invalid/);
    await expect(backend.send(queue, envelope({ attributes: { 'AWS.trace': 'x' } }))).rejects.toThrow(/prefix AWS reserves/);
    await expect(backend.send(queue, envelope({ attributes: { empty: '' } }))).rejects.toThrow(/"empty" is empty/);
    expect(log.commands).toEqual([]);
  });

  it('rejects a FIFO message without a group id, and a per-message delay on FIFO queues and topics', async () => {
    await expect(backend.send(uniqueName('limits', true), envelope())).rejects.toThrow(/FIFO destinations need a groupId/);
    await expect(
      backend.send(uniqueName('limits', true), envelope(), { groupId: 'g', delaySeconds: 5 }),
    ).rejects.toThrow(/FIFO queues have no per-message delay/);
    await expect(backend.publish(topic, envelope(), { delaySeconds: 5 })).rejects.toThrow(/SNS topics have no per-message delay/);
    expect(log.commands).toEqual([]);
  });

  it('accepts 7 user attributes, the most that fit beside the library’s 3', async () => {
    await backend.declareQueue({ name: queue });

    await expect(backend.send(queue, envelope({ attributes: userAttributes(7) }))).resolves.toMatchObject({
      brokerMessageId: expect.any(String),
    });
  });
});
