import { Type } from 'class-transformer';
import { Message } from '../melange';
import { PAYMENTS_TOPIC } from './topics';

/*
 * The payment events carry the customer and the amount (event-carried state): notifications can
 * write to the customer without asking orders for anything.
 * They go to a FIFO topic, so publishing them needs a groupId: payments uses the order id.
 */

/** Payments began charging for an order. Orders shows it; customers are not told (see notifications' filter). */
@Message('payments.payment-started', { destination: { topic: PAYMENTS_TOPIC } })
export class PaymentStarted {
  orderId!: string;
  customer!: string;
  amount!: number;

  static of(fields: PaymentStarted): PaymentStarted {
    return Object.assign(new PaymentStarted(), fields);
  }
}

@Message('payments.payment-completed', { destination: { topic: PAYMENTS_TOPIC } })
export class PaymentCompleted {
  orderId!: string;
  customer!: string;
  amount!: number;
  paymentId!: string;
  @Type(() => Date) completedAt!: Date;

  static of(fields: PaymentCompleted): PaymentCompleted {
    return Object.assign(new PaymentCompleted(), fields);
  }
}

@Message('payments.payment-failed', { destination: { topic: PAYMENTS_TOPIC } })
export class PaymentFailed {
  orderId!: string;
  customer!: string;
  amount!: number;
  reason!: string;

  static of(fields: PaymentFailed): PaymentFailed {
    return Object.assign(new PaymentFailed(), fields);
  }
}
