import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { VisibilityKeeper } from '../../lib/backends/sqs/visibility-keeper';
import { CapturingLogger } from '../support/capturing-logger';
import { plainSqs, RequestLog, uniqueName, waitFor } from '../support/sqs';

/*
 * The keeper against the local SQS server with the real SDK client: one timer per consumer renews
 * every held message by half-way through its timeout, ten per request, and stops on release.
 */
describe('VisibilityKeeper', () => {
  const sqs = plainSqs();
  const log = new RequestLog();
  log.attach(sqs, 'sqs');
  afterAll(() => sqs.destroy());

  async function receiveHeld(count: number, visibilitySeconds: number): Promise<{ url: string; messages: Message[] }> {
    const { QueueUrl: url } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName('keeper') }));
    for (let index = 0; index < count; index++) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${index}` }));
    const messages: Message[] = [];
    while (messages.length < count) {
      const response = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: visibilitySeconds }));
      messages.push(...(response.Messages ?? []));
    }
    return { url: url!, messages };
  }

  it('renews twelve held messages in batch requests of at most ten, and no longer once released', async () => {
    const { url, messages } = await receiveHeld(13, 2);
    const renewals: string[][] = [];
    sqs.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'ChangeMessageVisibilityBatchCommand') {
          renewals.push(((args.input as { Entries: { ReceiptHandle: string }[] }).Entries).map((entry) => entry.ReceiptHandle));
        }
        return next(args);
      },
      { step: 'initialize', name: 'keeperRenewals' },
    );
    const keeper = new VisibilityKeeper({ client: sqs, queue: 'keeper', queueUrl: url, visibilitySeconds: 2, logger: new CapturingLogger() });
    const twelve = messages.slice(0, 12);
    const leases = twelve.map((message) => keeper.hold(message));

    // Messages held a millisecond apart may fall due on different ticks, so a round can be split.
    await waitFor(() => new Set(renewals.flat()).size >= 12, 5000, 'every held message renewed');
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals.every((entries) => entries.length <= 10)).toBe(true);
    expect([...new Set(renewals.flat())].sort()).toEqual(twelve.map((message) => message.ReceiptHandle).sort());

    // Released, the twelve are left alone: renewals from then on are of the thirteenth only.
    await Promise.all(leases.map((lease) => lease.release()));
    const released = renewals.length;
    const last = keeper.hold(messages[12]!);
    await waitFor(() => renewals.length > released, 5000, 'the next renewal');
    await last.release();
    keeper.close();
    sqs.middlewareStack.remove('keeperRenewals');

    expect(renewals.slice(released)).toEqual([[messages[12]!.ReceiptHandle]]);
  });

  it('makes no request for a timeout of 1 s or less, where renewing cannot keep up', async () => {
    const { url, messages } = await receiveHeld(1, 1);
    log.clear();
    const keeper = new VisibilityKeeper({ client: sqs, queue: 'keeper', queueUrl: url, visibilitySeconds: 1, logger: new CapturingLogger() });
    const lease = keeper.hold(messages[0]!);
    await lease.release();
    keeper.close();

    expect(log.count('ChangeMessageVisibilityBatch')).toBe(0);
  });

  it('warns once per message, naming it, when a renewal is refused', async () => {
    const { url, messages } = await receiveHeld(1, 2);
    const logger = new CapturingLogger();
    const keeper = new VisibilityKeeper({ client: sqs, queue: 'keeper', queueUrl: url, visibilitySeconds: 2, logger });
    const forged: Message = { ...messages[0]!, ReceiptHandle: 'not-a-receipt-handle' };
    const lease = keeper.hold(forged);

    await waitFor(() => logger.lines.length > 0, 5000, 'a warning');
    await lease.release();
    keeper.close();

    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(new RegExp(`^queue=keeper message=${forged.MessageId}: could not extend its visibility while it waits or runs`)),
    ]);
  });
});
