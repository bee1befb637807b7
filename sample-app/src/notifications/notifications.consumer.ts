import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessage } from '../melange';
import { eur, PaymentCompleted, PaymentFailed } from '../messages';
import { NOTIFICATIONS_QUEUE } from './notifications.infrastructure';
import { Outbox } from './outbox';

/** The notifications context: tells customers how their payment went, from the events alone. */
@Injectable()
@MessageConsumer(NOTIFICATIONS_QUEUE)
export class NotificationsConsumer {
  constructor(private readonly outbox: Outbox) {}

  @OnMessage()
  paid(event: PaymentCompleted): void {
    this.outbox.send(
      event.customer,
      event.orderId,
      `Thank you, ${event.customer}! We received your payment of ${eur(event.amount)} for order ${event.orderId}.`,
    );
  }

  @OnMessage()
  declined(event: PaymentFailed): void {
    this.outbox.send(
      event.customer,
      event.orderId,
      `Sorry, ${event.customer}: we could not take payment for order ${event.orderId} (${event.reason}). Nothing was charged.`,
    );
  }
}
