import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { QueueOverview } from '../../lib';
import { queueUrl } from '../support/sqs';
import { SampleCli, parseJson } from './cli-harness';

describe('nestjs-melange queues --json, on the sample app', () => {
  const cli = new SampleCli();
  beforeAll(() => cli.start());
  afterAll(() => cli.stop());

  it('prints every queue of the app with its counts, as JSON that parses', async () => {
    expect((await cli.run('declare')).code).toBe(0);
    await cli.sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(cli.sqs, 'sample-payments'), MessageBody: '{"Message": "{}"}' }));

    const run = await cli.run('queues', '--json');
    expect(run.code).toBe(0);
    const queues = parseJson<QueueOverview[]>(run);
    const byName = new Map(queues.map((queue) => [queue.queue, queue]));
    expect([...byName.keys()].sort()).toEqual([
      'sample-notifications-dlq.fifo',
      'sample-notifications.fifo',
      'sample-orders-payments-dlq.fifo',
      'sample-orders-payments.fifo',
      'sample-payments',
      'sample-payments-dlq',
    ]);
    expect(byName.get('sample-payments')).toMatchObject({
      backend: 'sqs',
      roles: ['declared', 'consumed'],
      exists: true,
      counts: { visible: 1, inFlight: 0, delayed: 0 },
      deadLetterQueue: 'sample-payments-dlq',
      // The CLI never starts the app's consumers: it must not take messages from the running service.
      consumer: { state: 'not started', manifests: ['orders.order-placed'] },
    });
    expect(byName.get('sample-payments-dlq')).toMatchObject({ roles: ['dead-letter'], deadLetterFor: ['sample-payments'], counts: { visible: 0 } });

    const table = await cli.run('queues');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^BACKEND\s+QUEUE\s+ROLE\s+VISIBLE\s+IN FLIGHT\s+DELAYED/);
    expect(table.stdout).toMatch(/sqs\s+sample-payments\s+declared,consumed\s+1\s+0\s+0\s+sample-payments-dlq/);
  }, 180_000);
});
