import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource, type EntityManager } from 'typeorm';
import {
  MelangeEvents,
  MelangeModule,
  MelangeOutbox,
  MelangePublisher,
  Message,
  MessageConsumer,
  OnMessage,
  SqsBackend,
  typeormOutboxDatabase,
  type MessageContext,
} from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { DATABASE_URL, TestDatabase } from '../support/postgres';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const ORDERS = uniqueName('typeorm-orders');
const PAYMENTS = uniqueName('typeorm-payments');

@Message('typeorm.order-placed', { destination: { queue: ORDERS } })
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Message('typeorm.payment-captured', { destination: { queue: PAYMENTS } })
class PaymentCaptured {
  constructor(readonly orderId: string) {}
}

describe('the outbox and inbox through a TypeORM DataSource', () => {
  const db = new TestDatabase();
  const placed = new Recorder<string>();
  const captured = new Recorder<string>();
  let dataSource: DataSource;
  let app: INestApplication;

  @Injectable()
  @MessageConsumer(ORDERS)
  class Orders {
    @OnMessage()
    placed(order: OrderPlaced): void {
      placed.record(order.orderId);
    }
  }

  @Injectable()
  @MessageConsumer(PAYMENTS)
  class Payments {
    /** The EntityManager of the transaction that also records the message. */
    @OnMessage(PaymentCaptured, { inbox: true })
    async captured(payment: PaymentCaptured, context: MessageContext): Promise<void> {
      await (context.transaction as EntityManager).query(`INSERT INTO "${db.schema}".payments (order_id) VALUES ($1)`, [payment.orderId]);
      captured.record(payment.orderId);
    }
  }

  beforeAll(async () => {
    await db.create();
    await db.pool.query(`CREATE TABLE "${db.schema}".orders (id text PRIMARY KEY)`);
    await db.pool.query(`CREATE TABLE "${db.schema}".payments (id serial PRIMARY KEY, order_id text NOT NULL)`);
    dataSource = await new DataSource({ type: 'postgres', url: DATABASE_URL, schema: db.schema }).initialize();
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: ORDERS }, { name: PAYMENTS }] },
          // Polling so rarely that only a notification, through the driver's own pool, wakes the relay in time.
          outbox: { database: typeormOutboxDatabase(dataSource), schema: db.schema, relay: { pollIntervalMs: 60_000 } },
        }),
      ],
      providers: [Orders, Payments],
    }).compile();
    app = module.createNestApplication();
    await app.get(MelangeOutbox).migrate();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await dataSource?.destroy();
    await db.close();
  });

  it('publishes what commits in dataSource.transaction, and nothing of what rolls back', async () => {
    const publisher = app.get(MelangePublisher);
    await expect(
      dataSource.transaction(async (manager) => {
        await manager.query(`INSERT INTO "${db.schema}".orders (id) VALUES ('t-rolled-back')`);
        await publisher.publish(new OrderPlaced('t-rolled-back'), { transaction: manager });
        throw new Error('the order could not be saved');
      }),
    ).rejects.toThrow('the order could not be saved');
    await dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO "${db.schema}".orders (id) VALUES ('t-1')`);
      await publisher.publish(new OrderPlaced('t-1'), { transaction: manager });
    });

    expect(await placed.waitFor(1)).toEqual(['t-1']);
    expect((await db.rows('orders')).map((row) => row.id)).toEqual(['t-1']);
    expect(await app.get(MelangeOutbox).pending()).toBe(0);
  });

  it('runs an inbox handler once per message, with its EntityManager', async () => {
    const log = new EventLog(app.get(MelangeEvents));
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new PaymentCaptured('t-2'), { messageId: 'payment-t-2' });
    await log.waitFor('handled', 'payment-t-2');
    // The same message again, as a redelivery would bring it.
    await publisher.publish(new PaymentCaptured('t-2'), { messageId: 'payment-t-2' });
    await log.waitFor('duplicate', 'payment-t-2');

    expect(captured.items).toEqual(['t-2']);
    expect((await db.rows('payments')).map((row) => row.order_id)).toEqual(['t-2']);
  });
});
