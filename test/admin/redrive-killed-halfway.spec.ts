import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CreateQueueCommand, SendMessageBatchCommand, type Message } from '@aws-sdk/client-sqs';
import { Test } from '@nestjs/testing';
import { MelangeAdmin, MelangeModule, SqsBackend } from '../../lib';
import { CREDENTIALS, REGION, plainSqs, receivePlain, sleep, sqsEndpoint, uniqueName, waitFor } from '../support/sqs';

const COUNT = 600;
const FIXTURE = join(__dirname, '../fixtures/redrive-process.ts');

/** What the library writes on a dead-letter copy: the wire format plus the reason and the source. */
function deadLetterEntry(id: string, index: number, source: string) {
  return {
    Id: String(index),
    MessageBody: `{"Message": ${JSON.stringify(JSON.stringify({ id }))}}`,
    MessageAttributes: {
      manifest: { DataType: 'String', StringValue: 'admin.work-item' },
      serializer_id: { DataType: 'Number', StringValue: '1' },
      melange_message_id: { DataType: 'String', StringValue: id },
      melange_source_queue: { DataType: 'String', StringValue: source },
      melange_dead_letter_reason: { DataType: 'String', StringValue: 'a bug' },
    },
  };
}

describe('a redrive killed with SIGKILL half-way', () => {
  const sqs = plainSqs();
  afterAll(() => sqs.destroy());

  it('loses nothing when run again, and duplicates at most the batch that was in flight', async () => {
    const queue = uniqueName('admin-killed');
    const deadLetterQueue = `${queue}-dlq`;
    await sqs.send(new CreateQueueCommand({ QueueName: queue }));
    const deadLetterUrl = (await sqs.send(new CreateQueueCommand({ QueueName: deadLetterQueue }))).QueueUrl!;
    const ids = Array.from({ length: COUNT }, (_, index) => `killed-${index}`);
    for (let start = 0; start < COUNT; start += 10) {
      const entries = ids.slice(start, start + 10).map((id, index) => deadLetterEntry(id, index, queue));
      await sqs.send(new SendMessageBatchCommand({ QueueUrl: deadLetterUrl, Entries: entries }));
    }

    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
      env: { ...process.env, REDRIVE_DLQ: deadLetterQueue, REDRIVE_TO: queue, REDRIVE_RATE: '150', REDRIVE_VISIBILITY_SECONDS: '3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let moved = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) moved = Math.max(moved, (JSON.parse(line) as { moved?: number }).moved ?? 0);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await waitFor(() => moved >= COUNT / 2 || child.exitCode !== null, 60_000, `half of ${COUNT} moved (stderr: ${stderr})`);
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    expect(moved).toBeGreaterThanOrEqual(COUNT / 2);
    expect(moved).toBeLessThan(COUNT);

    // What the killed process had received but not deleted stays hidden for its 3 s, then comes back.
    // (The local server returns expired messages at the next receive, so no counter shows it before.)
    await sleep(3500);

    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS }) },
          autoCreate: false,
          startConsumers: false,
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      const second = await app.get(MelangeAdmin).redrive(deadLetterQueue, { to: queue });
      expect(second.failed).toBe(0);
      expect(moved + second.moved).toBeGreaterThanOrEqual(COUNT);
    } finally {
      await app.close();
    }

    // Everything on the queue: at least all of them, and then whatever duplicates there are.
    const arrived: Message[] = await receivePlain(sqs, queue, COUNT, 30_000);
    for (let more = await receivePlain(sqs, queue, 10, 1500); more.length > 0; more = await receivePlain(sqs, queue, 10, 1500)) arrived.push(...more);
    const arrivedIds = arrived.map((message) => message.MessageAttributes?.melange_message_id?.StringValue);
    expect(new Set(arrivedIds)).toEqual(new Set(ids));
    expect(arrived.length - COUNT).toBeLessThanOrEqual(10);
    // The copies carry the original attributes, without the dead-letter ones.
    expect(Object.keys(arrived[0]!.MessageAttributes ?? {}).sort()).toEqual(['manifest', 'melange_message_id', 'serializer_id']);
  }, 120_000);
});
