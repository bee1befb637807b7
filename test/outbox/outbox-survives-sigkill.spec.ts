import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { Message } from '@aws-sdk/client-sqs';
import {
  MelangeEvents,
  MelangeModule,
  MelangeOutbox,
  MelangePublisher,
  Message as MessageType,
  pgOutboxDatabase,
  SqsBackend,
  type OutboxRelayOptions,
} from '../../lib';
import { EventLog } from '../support/recorder';
import { DATABASE_URL, TestDatabase } from '../support/postgres';
import { CREDENTIALS, plainSqs, receivePlain, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

@MessageType('outbox.fixture-message')
class FixtureMessage {
  constructor(readonly n: number) {}
}

/** Runs test/fixtures/outbox-process.ts and resolves with its output once it died by SIGKILL. */
function runUntilKilled(env: Record<string, string>, killWhen?: (output: string) => boolean): Promise<string> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../fixtures/outbox-process.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (killWhen?.(output)) child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) =>
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(output) : reject(new Error(`fixture exited with ${code}: ${output}`)))),
  );
}

function idOf(message: Message): string | undefined {
  return message.MessageAttributes?.melange_message_id?.StringValue;
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the outbox across a SIGKILL', () => {
  const db = new TestDatabase();
  const sqs = plainSqs();
  let app: INestApplicationContext | undefined;

  beforeAll(() => db.create());

  afterEach(() => stopApp());

  afterAll(async () => {
    await db.close();
    sqs.destroy();
  });

  /** An app on the same outbox table: a relay, or with `relay: false` a process that only writes. */
  async function startApp(queue: string, relay: OutboxRelayOptions | false = {}): Promise<{ app: INestApplicationContext; log: EventLog }> {
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, logger: silentLogger }) },
          infrastructure: { queues: [{ name: queue }] },
          startConsumers: false,
          outbox: { database: pgOutboxDatabase(db.pool), schema: db.schema, relay },
        }),
      ],
    }).compile();
    app = module;
    const log = new EventLog(module.get(MelangeEvents));
    await module.get(MelangeOutbox).migrate();
    await module.init();
    return { app: module, log };
  }

  async function stopApp(): Promise<void> {
    await app?.close();
    app = undefined;
  }

  it('a message committed just before the process died is sent by the next relay', async () => {
    const queue = uniqueName('outbox-killed-writer');
    await startApp(queue);
    await stopApp();

    const output = await runUntilKilled(
      { MODE: 'writer', SQS_ENDPOINT: sqsEndpoint(), DATABASE_URL, SCHEMA: db.schema, QUEUE: queue },
      (text) => text.includes('committed'),
    );
    const messageId = /committed (\S+)/.exec(output)![1];
    expect(await db.rows('melange_outbox')).toEqual([expect.objectContaining({ message_id: messageId, sent_at: null })]);

    const { log } = await startApp(queue);
    await log.waitFor('outbox-relayed', messageId, 10_000);
    const received = await receivePlain(sqs, queue, 1, 5000);
    expect(received.map(idOf)).toEqual([messageId]);
    expect(await db.rows('melange_outbox')).toEqual([]);
  });

  it('a relay killed in the middle of a batch loses nothing, and repeats at most that batch, flagged', async () => {
    const queue = uniqueName('outbox-killed-relay');
    const { app: writer } = await startApp(queue, false);
    const total = 120;
    const publisher = writer.get(MelangePublisher);
    const stored = await db.transaction((transaction) =>
      publisher.publishBatch(Array.from({ length: total }, (_, n) => new FixtureMessage(n)), { queue }, { transaction }),
    );
    await stopApp();

    await runUntilKilled({ MODE: 'crashing-relay', CRASH_AFTER: '70', SQS_ENDPOINT: sqsEndpoint(), DATABASE_URL, SCHEMA: db.schema, QUEUE: queue });
    // Batches of 50: the first was recorded as sent; the second died after 20 of its sends
    // came back (more of them may have reached the broker); the last was never claimed.
    expect(await db.rows('melange_outbox')).toHaveLength(total - 50);

    const { log } = await startApp(queue);
    await waitUntil(async () => (await db.rows('melange_outbox')).length === 0, 15_000);
    // Every id at least once, waiting for up to a whole batch of repeats.
    const delivered = (await receivePlain(sqs, queue, total + 50, 4000)).map(idOf);
    const unique = new Set(delivered);
    expect(unique).toEqual(new Set(stored.map((result) => result.messageId)));
    const repeats = delivered.length - unique.size;
    expect(repeats).toBeGreaterThanOrEqual(20);
    expect(repeats).toBeLessThanOrEqual(50);
    // The rows of the interrupted batch, and only they, are flagged when sent again.
    expect(log.of('outbox-relayed').filter((event) => event.possibleDuplicate)).toHaveLength(50);
    expect(log.of('outbox-relayed')).toHaveLength(total - 50);
  });
});
