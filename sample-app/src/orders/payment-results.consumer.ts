import { Injectable } from '@nestjs/common';
import { MessageConsumer, OnMessage } from '../melange';
import { PaymentCompleted, PaymentFailed, PaymentStarted } from '../messages';
import { ORDER_PAYMENTS_QUEUE } from './orders.infrastructure';
import { OrdersService } from './orders.service';

/**
 * Orders' view of payments: one FIFO queue, so the events of one order (one message group)
 * arrive in the order payments published them, while different orders proceed in parallel.
 */
@Injectable()
@MessageConsumer(ORDER_PAYMENTS_QUEUE)
export class PaymentResultsConsumer {
  constructor(private readonly orders: OrdersService) {}

  @OnMessage()
  started(event: PaymentStarted): Promise<void> {
    return this.orders.moveTo(event.orderId, 'PAYMENT_PROCESSING');
  }

  @OnMessage()
  completed(event: PaymentCompleted): Promise<void> {
    return this.orders.moveTo(event.orderId, 'PAID', { paymentId: event.paymentId });
  }

  @OnMessage()
  failed(event: PaymentFailed): Promise<void> {
    return this.orders.moveTo(event.orderId, 'PAYMENT_FAILED', { failureReason: event.reason });
  }
}
