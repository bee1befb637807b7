import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { Recorder } from '../support/recorder';

@Message('orders.order-placed')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Message('orders.order-shipped')
class OrderShipped {
  constructor(readonly orderId: string) {}
}

// No @Message: the manifest falls back to the class name.
class OrderCancelled {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrderLifecycleConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage(OrderPlaced)
  placed(message: OrderPlaced): void {
    this.seen.record(`placed:${message.orderId}:${message instanceof OrderPlaced}`);
  }

  @OnMessage(OrderShipped)
  shipped(message: OrderShipped): void {
    this.seen.record(`shipped:${message.orderId}:${message instanceof OrderShipped}`);
  }
}

// A second provider on the same queue: handlers of one queue may live in several classes.
@Injectable()
@MessageConsumer('orders')
class CancellationConsumer {
  constructor(private readonly lifecycle: OrderLifecycleConsumer) {}

  @OnMessage()
  cancelled(message: OrderCancelled): void {
    this.lifecycle.seen.record(`cancelled:${message.orderId}:${message instanceof OrderCancelled}`);
  }
}

describe('routing among message types on one queue', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ consumers: { concurrency: 1 } })],
      providers: [OrderLifecycleConsumer, CancellationConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  afterAll(() => app.close());

  it('sends each message to the handler of its type', async () => {
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new OrderPlaced('1'), { queue: 'orders' });
    await publisher.publish(new OrderCancelled('2'), { queue: 'orders' });
    await publisher.publish(new OrderShipped('3'), { queue: 'orders' });

    const seen = await app.get(OrderLifecycleConsumer).seen.waitFor(3);

    expect(seen).toEqual(['placed:1:true', 'cancelled:2:true', 'shipped:3:true']);
  });
});
