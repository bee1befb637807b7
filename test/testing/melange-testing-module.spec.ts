import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  Message,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
  type MessagingBackend,
} from '../../lib';
import { MelangeTestingModule, MessageSpy } from '../../lib/testing';

@Message('orders.order-placed', { destination: { queue: 'orders' } })
class OrderPlaced {
  constructor(
    readonly orderId: string,
    readonly total: number,
  ) {}
}

@Message('payments.payment-requested', { destination: { topic: 'payments' } })
class PaymentRequested {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  constructor(private readonly publisher: MelangePublisher) {}

  @OnMessage()
  async placed(order: OrderPlaced): Promise<void> {
    if (order.total <= 0) throw new Error(`order ${order.orderId} has no total`);
    await this.publisher.publish(new PaymentRequested(order.orderId));
  }
}

/** A backend that would need a network: the testing module must never call it. */
class UnreachableBackend implements MessagingBackend {
  private fail(): never {
    throw new Error('network access in a unit test');
  }
  declareQueue = async () => this.fail();
  declareTopic = async () => this.fail();
  declareSubscription = async () => this.fail();
  send = async () => this.fail();
  publish = async () => this.fail();
  consume = () => this.fail();
  checkHealth = async () => this.fail();
  close = async () => this.fail();
}

@Module({
  imports: [
    MelangeModule.forRootAsync({
      useFactory: () => ({
        backends: { sqs: new UnreachableBackend() },
        infrastructure: { queues: [{ name: 'orders', deadLetterQueue: 'orders-dlq' }] },
        consumers: { retry: { maxAttempts: 1 } },
      }),
    }),
  ],
  providers: [OrdersConsumer],
})
class AppModule {}

describe('MelangeTestingModule', () => {
  describe('replaceBackends() on a whole application', () => {
    let app: INestApplication;
    let spy: MessageSpy;

    beforeEach(async () => {
      const builder = Test.createTestingModule({ imports: [AppModule] });
      spy = MelangeTestingModule.replaceBackends(builder);
      app = await (await builder.compile()).createNestApplication({ logger: false }).init();
    });

    afterEach(() => app.close());

    it('lets a test await a handled message and see what the handler published, where', async () => {
      await app.get(MelangePublisher).publish(new OrderPlaced('o-1', 30));

      const handled = await spy.waitFor(OrderPlaced, (order) => order.orderId === 'o-1');
      const [payment] = spy.published(PaymentRequested);

      expect(handled.message).toBeInstanceOf(OrderPlaced);
      expect(handled).toMatchObject({ backend: 'sqs', destination: { queue: 'orders' }, receiveCount: 1 });
      expect(payment.destination).toEqual({ topic: 'payments' });
      expect(payment.message).toEqual(new PaymentRequested('o-1'));
    });

    it('delivers a message straight to the handler and reports its outcome', async () => {
      const good = await spy.deliver(new OrderPlaced('o-2', 10), 'orders');
      const bad = await spy.deliver(new OrderPlaced('o-3', 0), 'orders');

      expect(good.outcome).toBe('handled');
      expect(bad.outcome).toBe('dead-lettered');
      expect(bad.reason).toContain('order o-3 has no total');
      // Delivered straight to the queue: nothing went through the publisher for them.
      expect(spy.published(OrderPlaced)).toEqual([]);
    });

    it('times out with a message that lists what it saw', async () => {
      await spy.deliver(new OrderPlaced('o-4', 5), 'orders');

      await expect(spy.waitFor(OrderPlaced, (order) => order.orderId === 'nope', { timeoutMs: 50 })).rejects.toThrow(
        'No orders.order-placed was handled within 50 ms; the spy saw: published payments.payment-requested, handled orders.order-placed',
      );
    });
  });

  it('forRoot() builds a small test app with the spy injectable', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeTestingModule.forRoot({})],
      providers: [OrdersConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();

    await app.get(MelangePublisher).publish(new OrderPlaced('o-5', 1));
    const payment = await app.get(MessageSpy).waitFor(PaymentRequested, () => true, { outcome: 'published' });

    expect(payment.message.orderId).toBe('o-5');
    await app.close();
  });
});
