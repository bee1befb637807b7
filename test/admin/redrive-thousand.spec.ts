import type { RedriveProgress } from '../../lib';
import { sleep } from '../support/sqs';
import { eventually, publishItems, startAdminApp, type AdminApp } from './admin-harness';

const COUNT = 1000;

describe('MelangeAdmin.redrive(), on the local SQS server', () => {
  let harness: AdminApp;

  beforeAll(async () => {
    harness = await startAdminApp({ prefix: 'admin-redrive' });
  });

  afterAll(() => harness.close());

  const counts = async (queue: string) => (await harness.admin.queues()).find((row) => row.queue === queue)?.counts;

  it(`moves ${COUNT} dead-lettered messages back, and the fixed consumer handles each exactly once`, async () => {
    const { admin, behaviour, publisher, queue, deadLetterQueue } = harness;
    const ids = Array.from({ length: COUNT }, (_, index) => `redrive-${index}`);
    await publishItems(publisher, queue, ids);
    await eventually(() => counts(deadLetterQueue), (value) => value?.visible === COUNT, `${COUNT} dead-lettered`, 90_000);
    expect(behaviour.handled).toEqual([]);

    behaviour.buggy = false;
    const progress: RedriveProgress[] = [];
    const result = await admin.redrive(deadLetterQueue, { onProgress: (step) => progress.push(step) });

    expect(result).toEqual({ backend: 'sqs', deadLetterQueue, fallbackDestination: queue, moved: COUNT, skipped: 0, failed: 0 });
    expect(progress.length).toBeGreaterThanOrEqual(COUNT / 10);
    expect(progress.map((step) => step.moved)).toEqual([...progress.map((step) => step.moved)].sort((a, b) => a - b));
    await eventually(async () => behaviour.handled.length, (handled) => handled >= COUNT, `${COUNT} handled`, 60_000);
    // A moment more, in case anything were delivered twice.
    await sleep(1500);
    expect(behaviour.handled).toHaveLength(COUNT);
    expect(new Set(behaviour.handled)).toEqual(new Set(ids));
    expect(await counts(deadLetterQueue)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    await eventually(() => counts(queue), (value) => value?.visible === 0 && value.inFlight === 0, 'an empty source queue');
  }, 240_000);
});
