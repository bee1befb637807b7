import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { PoolClient } from 'pg';
import { MelangeEvents, MelangeModule, MelangeOutbox, MelangePublisher, Message, MessageConsumer, OnMessage, SqsBackend, type MessageContext } from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { DATABASE_URL, TestDatabase } from '../support/postgres';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('inbox-payments');

@Message('inbox.payment-captured')
class PaymentCaptured {
  constructor(readonly orderId: string) {}
}

describe('an inbox handler across a SIGKILL between commit and delete', () => {
  const db = new TestDatabase();
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    await db.create();
    await db.pool.query(`CREATE TABLE "${db.schema}".payments (id serial PRIMARY KEY, order_id text NOT NULL)`);
  });

  afterAll(async () => {
    await app?.close();
    await db.close();
  });

  it('finds the committed record on redelivery, deletes the message unhandled, and leaves one row', async () => {
    const calls = new Recorder<string>();
    @Injectable()
    @MessageConsumer({ queue: QUEUE, inbox: true })
    class Payments {
      @OnMessage()
      async captured(payment: PaymentCaptured, context: MessageContext): Promise<void> {
        calls.record(payment.orderId);
        await (context.transaction as PoolClient).query(`INSERT INTO "${db.schema}".payments (order_id) VALUES ($1)`, [payment.orderId]);
      }
    }
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          // The killed consumer's message comes back after 2 s instead of 30.
          infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 2 }] },
          startConsumers: false,
          outbox: { database: db.outbox, schema: db.schema, relay: false },
        }),
      ],
      providers: [Payments],
    }).compile();
    await module.get(MelangeOutbox).migrate();
    await module.init();
    const { messageId } = await module.get(MelangePublisher).publish(new PaymentCaptured('order-7'), { queue: QUEUE });
    await module.close();

    const output = await runKilledConsumer();
    expect(output).toContain('committed order-7');
    expect((await db.rows('payments')).map((row) => row.order_id)).toEqual(['order-7']);

    const restarted = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          outbox: { database: db.outbox, schema: db.schema, relay: false },
        }),
      ],
      providers: [Payments],
    }).compile();
    app = restarted;
    const log = new EventLog(restarted.get(MelangeEvents));
    await restarted.init();

    const duplicate = await log.waitFor('duplicate', messageId, 15_000);
    expect(duplicate.receiveCount).toBe(2);
    expect(calls.items).toEqual([]);
    expect((await db.rows('payments')).map((row) => row.order_id)).toEqual(['order-7']);
    expect(await db.rows('melange_inbox')).toHaveLength(1);
  }, 40_000);

  function runKilledConsumer(): Promise<string> {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../fixtures/inbox-consumer.ts')], {
      env: { ...process.env, SQS_ENDPOINT: sqsEndpoint(), DATABASE_URL, SCHEMA: db.schema, QUEUE },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    return new Promise((resolve, reject) =>
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(output) : reject(new Error(`consumer exited with ${code}: ${output}`)))),
    );
  }
});
