import { MessageRejectedError } from '../../lib/errors';
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

  it('rejects a message over 256 KiB without sending anything', async () => {
    const oversize = envelope({ payload: 'x'.repeat(256 * 1024) });

    await expect(backend.send(queue, oversize)).rejects.toThrow(MessageRejectedError);
    await expect(backend.publish(topic, oversize)).rejects.toThrow(/over the limit of 262144 bytes/);

    expect(log.commands).toEqual([]);
  });

  it('counts the attributes and the {"Message"} wrapper in the size', async () => {
    // The payload alone fits; wrapped and with its attributes it does not.
    const payload = 'x'.repeat(256 * 1024 - 20);

    await expect(backend.send(queue, envelope({ payload }))).rejects.toThrow(/bytes \(body plus attributes\)/);
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
