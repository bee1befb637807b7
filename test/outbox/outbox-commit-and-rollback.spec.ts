import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeEvents, MelangeModule, MelangeOutbox, MelangePublisher, Message, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { TestDatabase } from '../support/postgres';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('outbox-orders');

@Message('outbox.order-placed', { destination: { queue: QUEUE } })
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer(QUEUE)
class Orders {
  readonly seen = new Recorder<string>();

  @OnMessage()
  placed(order: OrderPlaced): void {
    this.seen.record(order.orderId);
  }
}

// The same behaviour on PGlite: test/outbox/outbox-on-pglite.spec.ts.
describe('publish(message, { transaction }) on a PostgreSQL server', () => {
  const db = new TestDatabase();
  let app: INestApplication;

  beforeAll(async () => {
    await db.create();
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: QUEUE }] },
          // Polling so rarely that only the commit's notification can wake the relay in time.
          outbox: { database: db.outbox, schema: db.schema, relay: { pollIntervalMs: 60_000 } },
        }),
      ],
      providers: [Orders],
    }).compile();
    app = module.createNestApplication();
    await app.get(MelangeOutbox).migrate();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await db.close();
  });

  it('reaches the handler once the transaction commits, woken by the notification', async () => {
    const publisher = app.get(MelangePublisher);
    const log = new EventLog(app.get(MelangeEvents));

    const result = await db.transaction(async (transaction) => {
      await transaction.query(`CREATE TABLE IF NOT EXISTS "${db.schema}".orders (id text PRIMARY KEY)`);
      await transaction.query(`INSERT INTO "${db.schema}".orders VALUES ('o-1')`);
      return publisher.publish(new OrderPlaced('o-1'), { transaction });
    });

    await app.get(Orders).seen.waitFor(1);
    expect(app.get(Orders).seen.items).toEqual(['o-1']);
    const relayed = await log.waitFor('outbox-relayed', (event) => event.messageId === result.messageId);
    expect(relayed).toMatchObject({ destination: QUEUE, manifest: 'outbox.order-placed', possibleDuplicate: false });
    expect(await db.rows('melange_outbox')).toEqual([]);
    expect(await db.rows('orders')).toEqual([{ id: 'o-1' }]);
  });

  it('sends nothing when the transaction rolls back', async () => {
    const publisher = app.get(MelangePublisher);
    const log = new EventLog(app.get(MelangeEvents));

    await expect(
      db.transaction(async (transaction) => {
        await publisher.publish(new OrderPlaced('o-rolled-back'), { transaction });
        throw new Error('the order could not be saved');
      }),
    ).rejects.toThrow('the order could not be saved');
    // A committed marker behind it: once the marker is handled, the relay has had its chance at both.
    const marker = await db.transaction((transaction) => publisher.publish(new OrderPlaced('o-marker'), { transaction }));

    await log.waitFor('outbox-relayed', (event) => event.messageId === marker.messageId);
    await app.get(Orders).seen.waitFor(2);
    expect(app.get(Orders).seen.items).toEqual(['o-1', 'o-marker']);
    expect(log.of('outbox-relayed').map((event) => event.messageId)).toHaveLength(1);
    expect(await db.rows('melange_outbox')).toEqual([]);
  });
});
