import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { Recorder } from '../support/recorder';

@Message('payments.payment-event')
class PaymentEvent {
  constructor(readonly paymentId: string) {}
}

@Message('payments.payment-refunded')
class PaymentRefunded extends PaymentEvent {
  reason = 'customer request';
}

@Message('payments.payment-captured')
class PaymentCaptured extends PaymentEvent {}

@Injectable()
@MessageConsumer('payments')
class PaymentsConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  anyPaymentEvent(message: PaymentEvent): void {
    this.seen.record(`base:${message.constructor.name}:${message.paymentId}`);
  }

  @OnMessage()
  captured(message: PaymentCaptured): void {
    this.seen.record(`captured:${message.paymentId}`);
  }
}

describe('a handler of a base class', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      // PaymentRefunded has no handler of its own, so the consumer must be told it exists.
      imports: [MelangeModule.forRoot({ messages: [PaymentRefunded], consumers: { concurrency: 1 } })],
      providers: [PaymentsConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  afterAll(() => app.close());

  it('receives subclasses without a handler of their own, as instances of the subclass', async () => {
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new PaymentRefunded('r1'), { queue: 'payments' });
    await publisher.publish(new PaymentCaptured('c1'), { queue: 'payments' });
    await publisher.publish(new PaymentEvent('e1'), { queue: 'payments' });

    const seen = await app.get(PaymentsConsumer).seen.waitFor(3);

    expect(seen).toEqual(['base:PaymentRefunded:r1', 'captured:c1', 'base:PaymentEvent:e1']);
  });
});
