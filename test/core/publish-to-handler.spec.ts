import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';

class Address {
  street!: string;
  city!: string;
  label(): string {
    return `${this.street}, ${this.city}`;
  }
}

@Message('orders.order-placed')
class OrderPlaced {
  orderId!: string;
  total!: number;
  @Type(() => Date) placedAt!: Date;
  @Type(() => Address) shipTo!: Address;

  isLarge(): boolean {
    return this.total > 100;
  }
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  readonly received = new Recorder<{ message: OrderPlaced; context: MessageContext }>();

  @OnMessage()
  onOrderPlaced(message: OrderPlaced, context: MessageContext): void {
    this.received.record({ message, context });
  }
}

describe('publish → handler through the in-memory backend', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({})],
      providers: [OrdersConsumer],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterEach(() => app.close());

  it('hands the handler a real instance of the published class', async () => {
    const placedAt = new Date('2026-11-25T10:00:00.000Z');
    const order = Object.assign(new OrderPlaced(), {
      orderId: '42',
      total: 250,
      placedAt,
      shipTo: Object.assign(new Address(), { street: '1 Main St', city: 'Springfield' }),
    });

    const { messageId } = await app.get(MelangePublisher).publish(order, { queue: 'orders' }, { attributes: { tenant: 'acme' } });

    const [{ message, context }] = await app.get(OrdersConsumer).received.waitFor(1);
    expect(message).toBeInstanceOf(OrderPlaced);
    expect(message.isLarge()).toBe(true);
    expect(message.placedAt).toBeInstanceOf(Date);
    expect(message.placedAt.toISOString()).toBe(placedAt.toISOString());
    expect(message.shipTo).toBeInstanceOf(Address);
    expect(message.shipTo.label()).toBe('1 Main St, Springfield');
    expect(context).toMatchObject({
      messageId,
      queue: 'orders',
      manifest: 'orders.order-placed',
      receiveCount: 1,
      attributes: { tenant: 'acme' },
    });
    expect(context.envelope.serializerId).toBe(1);
  });
});
