import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { PoolClient } from 'pg';
import {
  MelangeEvents,
  MelangeModule,
  MelangeOutbox,
  MelangePublisher,
  Message,
  MessageConsumer,
  OnMessage,
  SqsBackend,
  type MessageContext,
} from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { TestDatabase } from '../support/postgres';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const ORDERS = uniqueName('inbox-orders');
const SHIPPING = uniqueName('inbox-shipping');

@Message('inbox.order-paid', { destination: { queue: ORDERS } })
class OrderPaid {
  constructor(readonly orderId: string) {}
}

@Message('inbox.shipment-requested', { destination: { queue: SHIPPING } })
class ShipmentRequested {
  constructor(readonly orderId: string) {}
}

describe('an inbox handler that writes and publishes', () => {
  const db = new TestDatabase();
  const attempts = new Recorder<number>();
  const shipments = new Recorder<string>();
  let app: INestApplicationContext;

  @Injectable()
  @MessageConsumer(ORDERS)
  class Orders {
    /** Writes, publishes in the same transaction, then fails the first attempt after both. */
    @OnMessage(OrderPaid, { inbox: true, retry: { initialDelayMs: 100 } })
    async paid(order: OrderPaid, context: MessageContext): Promise<void> {
      attempts.record(context.receiveCount);
      const transaction = context.transaction as PoolClient;
      await transaction.query(`INSERT INTO "${db.schema}".shipments (order_id) VALUES ($1)`, [order.orderId]);
      await app.get(MelangePublisher).publish(new ShipmentRequested(order.orderId), { transaction });
      if (context.receiveCount === 1) throw new Error('the warehouse API timed out');
    }
  }

  @Injectable()
  @MessageConsumer(SHIPPING)
  class Shipping {
    @OnMessage()
    requested(request: ShipmentRequested): void {
      shipments.record(request.orderId);
    }
  }

  beforeAll(async () => {
    await db.create();
    await db.pool.query(`CREATE TABLE "${db.schema}".shipments (id serial PRIMARY KEY, order_id text NOT NULL)`);
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: ORDERS }, { name: SHIPPING }] },
          outbox: { database: db.outbox, schema: db.schema },
        }),
      ],
      providers: [Orders, Shipping],
    }).compile();
    app = module;
    await module.get(MelangeOutbox).migrate();
    await module.init();
  });

  afterAll(async () => {
    await app?.close();
    await db.close();
  });

  it('rolls back its row and its message with a failed attempt, and commits both once with the next', async () => {
    const log = new EventLog(app.get(MelangeEvents));
    const { messageId } = await app.get(MelangePublisher).publish(new OrderPaid('order-9'));

    await log.waitFor('handled', messageId, 15_000);
    await shipments.waitFor(1, 10_000);

    expect(attempts.items).toEqual([1, 2]);
    expect(log.of('retried', messageId)).toHaveLength(1);
    expect((await db.rows('shipments')).map((row) => row.order_id)).toEqual(['order-9']);
    await log.waitFor('outbox-relayed', (event) => event.destination === SHIPPING);
    expect(log.of('outbox-relayed')).toHaveLength(1);
    expect(shipments.items).toEqual(['order-9']);
    expect(await app.get(MelangeOutbox).pending()).toBe(0);
  }, 30_000);
});
