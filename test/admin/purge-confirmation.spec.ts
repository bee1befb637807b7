import { PurgeNotConfirmedError } from '../../lib';
import { eventually, publishItems, startAdminApp, type AdminApp } from './admin-harness';

describe('MelangeAdmin.purge(), on the local SQS server', () => {
  let harness: AdminApp;

  beforeAll(async () => {
    // No consumer running: the messages stay on the queue for the purge to find.
    harness = await startAdminApp({ prefix: 'admin-purge', startConsumers: false });
  });

  afterAll(() => harness.close());

  const counts = async () => (await harness.admin.queues()).find((row) => row.queue === harness.queue)?.counts;

  it('refuses without the queue named again, and deletes everything with it', async () => {
    const { admin, publisher, queue } = harness;
    await publishItems(publisher, queue, ['purge-a', 'purge-b']);
    await eventually(counts, (value) => value?.visible === 2, 'two messages');

    const refusals: unknown[] = [
      // Deliberately wrong calls, as plain JavaScript or a careless cast could make them.
      ...(await Promise.allSettled([
        admin.purge(queue, undefined as never),
        admin.purge(queue, { confirm: '' }),
        admin.purge(queue, { confirm: `${queue}-other` }),
        admin.purge(queue, { confirm: true } as never),
      ])),
    ];
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ status: 'rejected', reason: expect.any(PurgeNotConfirmedError) });
    }
    await expect(admin.purge(queue, { confirm: 'x' })).rejects.toThrow(`Pass { confirm: '${queue}' }`);
    expect(await counts()).toEqual({ visible: 2, inFlight: 0, delayed: 0 });

    await admin.purge(queue, { confirm: queue });
    await eventually(counts, (value) => value?.visible === 0, 'an empty queue');
  });
});
