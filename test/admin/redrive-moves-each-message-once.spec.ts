import { eventually, publishItems, startAdminApp, type AdminApp } from './admin-harness';

describe('MelangeAdmin.redrive() while the bug is still there', () => {
  let harness: AdminApp;

  beforeAll(async () => {
    harness = await startAdminApp({ prefix: 'admin-ping-pong' });
  });

  afterAll(() => harness.close());

  const counts = async (queue: string) => (await harness.admin.queues()).find((row) => row.queue === queue)?.counts;

  it('moves each message once: one that is dead-lettered again during the move stays, and the move ends', async () => {
    const { admin, publisher, queue, deadLetterQueue } = harness;
    await publishItems(publisher, queue, ['poison-1', 'poison-2']);
    await eventually(() => counts(deadLetterQueue), (value) => value?.visible === 2, 'two dead-lettered');

    // The consumer still runs with its bug: each message it is given goes straight back to the
    // dead-letter queue, where this move finds it again.
    const result = await admin.redrive(deadLetterQueue);

    expect(result).toMatchObject({ moved: 2, failed: 0 });
    await eventually(() => counts(deadLetterQueue), (value) => value?.visible === 2, 'both dead-lettered again');
  }, 60_000);
});
