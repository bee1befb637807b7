import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DeadLetterMessage, RedriveResult } from '../../lib';
import { queueAttributes, queueUrl } from '../support/sqs';
import { SampleCli, parseJson } from './cli-harness';

/** An OrderPlaced as the payments consumer dead-letters it: wire format, reason and source queue. */
function poisoned(index: number) {
  return {
    Id: String(index),
    MessageBody: JSON.stringify({ Message: JSON.stringify({ orderId: `order-${index}`, customer: 'ada', items: [], total: { amount: 5, currency: 'EUR' } }) }),
    MessageAttributes: {
      manifest: { DataType: 'String', StringValue: 'orders.order-placed' },
      serializer_id: { DataType: 'Number', StringValue: '1' },
      melange_message_id: { DataType: 'String', StringValue: `cli-redrive-${index}` },
      melange_source_queue: { DataType: 'String', StringValue: 'sample-payments' },
      melange_dead_letter_reason: { DataType: 'String', StringValue: index === 0 ? 'gateway timeout' : 'card declined' },
    },
  };
}

describe('nestjs-melange dlq peek / dlq redrive, on the sample app', () => {
  const cli = new SampleCli();
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());

  const visible = async (queue: string) => Number((await queueAttributes(cli.sqs, queue)).ApproximateNumberOfMessages);

  it('peeks at the dead letters, then moves them back to the queue they came from', async () => {
    expect((await cli.run('declare')).code).toBe(0);
    const entries = [0, 1, 2, 3].map(poisoned);
    await cli.sqs.send(new SendMessageBatchCommand({ QueueUrl: await queueUrl(cli.sqs, 'sample-payments-dlq'), Entries: entries }));

    const peek = await cli.run('dlq', 'peek', 'sample-payments', '--json');
    expect(peek.code).toBe(0);
    const peeked = parseJson<DeadLetterMessage[]>(peek);
    expect(peeked.map((message) => message.messageId).sort()).toEqual(['cli-redrive-0', 'cli-redrive-1', 'cli-redrive-2', 'cli-redrive-3']);
    expect(peeked.every((message) => message.payload === undefined && message.sourceQueue === 'sample-payments')).toBe(true);
    expect(await visible('sample-payments-dlq')).toBe(4);

    // Only the ones that failed for a reason now fixed: the other stays.
    const filtered = await cli.run('dlq', 'redrive', 'sample-payments-dlq', '--reason', 'card declined', '--json');
    expect(filtered.code).toBe(0);
    expect(parseJson<RedriveResult>(filtered)).toMatchObject({ moved: 3, skipped: 1, failed: 0, deadLetterQueue: 'sample-payments-dlq' });
    expect(filtered.stderr).toContain('redrive: 3 moved');
    expect(await visible('sample-payments')).toBe(3);
    expect(await visible('sample-payments-dlq')).toBe(1);

    const rest = await cli.run('dlq', 'redrive', 'sample-payments', '--max-per-second', '50');
    expect(rest.code).toBe(0);
    expect(rest.stdout).toContain('Moved 1 message(s) from "sample-payments-dlq"; 0 left there');
    expect(await visible('sample-payments')).toBe(4);
    expect(await visible('sample-payments-dlq')).toBe(0);
  }, 180_000);
});
