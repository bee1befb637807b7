import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { deferred } from '../support/recorder';
import { plainSqs, queueUrl, waitFor } from '../support/sqs';
import { eventually, publishItems, startAdminApp, type AdminApp } from './admin-harness';

describe('MelangeAdmin.queues(), on the local SQS server', () => {
  const sqs = plainSqs();
  let harness: AdminApp;

  beforeAll(async () => {
    harness = await startAdminApp({ prefix: 'admin-stats', concurrency: 3 });
  });

  afterAll(async () => {
    harness.behaviour.gate = undefined;
    await harness.close();
    sqs.destroy();
  });

  const row = async (queue: string) => {
    const rows = await harness.admin.queues();
    const found = rows.find((entry) => entry.queue === queue);
    if (!found) throw new Error(`no row for ${queue} in ${JSON.stringify(rows)}`);
    return found;
  };

  it('counts what was sent and what the consumer holds, and its dead-letter queue', async () => {
    const { behaviour, publisher, queue, deadLetterQueue } = harness;
    behaviour.buggy = false;
    const gate = deferred();
    behaviour.gate = gate.promise;
    await publishItems(publisher, queue, Array.from({ length: 10 }, (_, index) => `stats-${index}`));
    const url = await queueUrl(sqs, queue);
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"Message": "{}"}', DelaySeconds: 600 }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"Message": "{}"}', DelaySeconds: 600 }));

    // Concurrency 3: the consumer holds three messages (its handlers wait at the gate), seven wait.
    let stats = await eventually(() => row(queue), (found) => found.counts?.inFlight === 3, 'three in flight');
    expect(stats).toMatchObject({
      backend: 'sqs',
      roles: expect.arrayContaining(['declared', 'consumed']),
      exists: true,
      counts: { visible: 7, inFlight: 3, delayed: 2 },
      deadLetterQueue,
      maxReceiveCount: 5,
      consumer: { state: 'running', concurrency: 3, inFlight: 3, manifests: ['admin.work-item'] },
    });
    expect(await row(deadLetterQueue)).toMatchObject({ roles: ['dead-letter'], deadLetterFor: [queue], counts: { visible: 0, inFlight: 0, delayed: 0 } });

    // Released: all ten are handled and deleted; one more, poisoned, goes to the dead-letter queue.
    behaviour.gate = undefined;
    gate.resolve();
    await waitFor(() => behaviour.handled.length === 10, 15_000, 'ten handled');
    behaviour.buggy = true;
    await publishItems(publisher, queue, ['stats-poisoned']);
    await eventually(() => row(deadLetterQueue), (found) => found.counts?.visible === 1, 'one dead-lettered');

    stats = await row(queue);
    expect(stats.counts).toEqual({ visible: 0, inFlight: 0, delayed: 2 });
    expect(stats.rates?.lastMinute).toEqual({ handled: 10, retried: 0, deadLettered: 1 });
    expect(stats.rates?.lastFiveMinutes).toEqual({ handled: 2, retried: 0, deadLettered: 0.2 });
  });
});
