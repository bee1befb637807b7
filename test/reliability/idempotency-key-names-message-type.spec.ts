import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, InMemoryIdempotencyStore, Message, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { idempotencyKey } from '../../lib/idempotency/idempotency-key';
import { Recorder } from '../support/recorder';

@Message('orders.placed')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Message('orders.shipped')
class OrderShipped {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  readonly runs = new Recorder<string>();

  @OnMessage()
  async placed(order: OrderPlaced): Promise<void> {
    this.runs.record(`placed ${order.orderId}`);
  }

  @OnMessage()
  async shipped(order: OrderShipped): Promise<void> {
    this.runs.record(`shipped ${order.orderId}`);
  }
}

describe('the idempotency key', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: new InMemoryBackend() },
          consumers: { concurrency: 1, idempotency: { store: new InMemoryIdempotencyStore() } },
        }),
      ],
      providers: [OrdersConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterEach(() => app.close());

  it('names the message type: two types published with the same business id are both handled', async () => {
    const publisher = app.get(MelangePublisher);
    const outcomes = new Recorder<string>();
    app.get(MelangeEvents).on('handled', (event) => outcomes.record(`handled ${event.manifest}`));
    app.get(MelangeEvents).on('duplicate', (event) => outcomes.record(`duplicate ${event.manifest}`));

    await publisher.publish(new OrderPlaced('42'), { queue: 'orders' }, { messageId: 'order-42' });
    await outcomes.waitFor(1);
    await publisher.publish(new OrderShipped('42'), { queue: 'orders' }, { messageId: 'order-42' });

    expect(await outcomes.waitFor(2)).toEqual(['handled orders.placed', 'handled orders.shipped']);
    expect(app.get(OrdersConsumer).runs.items).toEqual(['placed 42', 'shipped 42']);
  });

  it('still knows a duplicate of the same type and id', async () => {
    const publisher = app.get(MelangePublisher);
    const duplicates = new Recorder<string>();
    app.get(MelangeEvents).on('duplicate', (event) => duplicates.record(`${event.manifest} ${event.messageId}`));

    await publisher.publish(new OrderPlaced('42'), { queue: 'orders' }, { messageId: 'order-42' });
    await app.get(OrdersConsumer).runs.waitFor(1);
    await publisher.publish(new OrderPlaced('42'), { queue: 'orders' }, { messageId: 'order-42' });

    expect(await duplicates.waitFor(1)).toEqual(['orders.placed order-42']);
    expect(app.get(OrdersConsumer).runs.items).toEqual(['placed 42']);
  });

  it('cannot be the same for two different messages, whatever colons their manifest and id hold', () => {
    const keys = [
      idempotencyKey({ queue: 'q', manifest: 'a:b', messageId: 'c' }),
      idempotencyKey({ queue: 'q', manifest: 'a', messageId: 'b:c' }),
      idempotencyKey({ queue: 'q:a', manifest: 'b', messageId: 'c' }),
      idempotencyKey({ queue: 'q', manifest: 'a%3Ab', messageId: 'c' }),
      idempotencyKey({ queue: 'q', messageId: 'a:b:c' }),
    ];

    expect(new Set(keys).size).toBe(keys.length);
    expect(idempotencyKey({ queue: 'orders', manifest: 'orders.placed', messageId: 'order-42' })).toBe('orders:orders.placed:order-42');
    expect(idempotencyKey({ queue: 'orders', messageId: '\ud800' })).toBe('orders::\ud800');
  });
});
