import { Injectable, Logger } from '@nestjs/common';
import { MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../melange';
import { eur, OrderPlaced, PaymentCompleted, PaymentFailed, PaymentStarted } from '../messages';
import { PaymentGateway } from './payment-gateway';
import { PAYMENTS_QUEUE } from './payments.infrastructure';

/** The payments context: charges for every order placed and tells the others how it went. */
@Injectable()
@MessageConsumer(PAYMENTS_QUEUE)
export class PaymentsConsumer {
  private readonly logger = new Logger('Payments');

  constructor(
    private readonly gateway: PaymentGateway,
    private readonly publisher: MelangePublisher,
  ) {}

  @OnMessage()
  async charge(order: OrderPlaced, context: MessageContext): Promise<void> {
    const { orderId, customer, total: amount } = order;
    const attempt = context.receiveCount > 1 ? ` (attempt ${context.receiveCount})` : '';
    this.logger.log(`order ${orderId}: charging ${customer} ${eur(amount)}${attempt}`);
    await this.emit(PaymentStarted.of({ orderId, customer, amount }), 'started');

    const result = await this.gateway.charge(customer, amount);
    if (result.approved) {
      await this.emit(PaymentCompleted.of({ orderId, customer, amount, paymentId: result.paymentId, completedAt: new Date() }), 'result');
      this.logger.log(`order ${orderId}: payment ${result.paymentId} completed, PaymentCompleted published`);
    } else {
      // A declined card is an outcome, not an error: the handler returns and the message is acked.
      await this.emit(PaymentFailed.of({ orderId, customer, amount, reason: result.reason }), 'result');
      this.logger.log(`order ${orderId}: payment declined (${result.reason}), PaymentFailed published`);
    }
  }

  /**
   * Publishes to the payments FIFO topic. The group is the order, so its events stay in order.
   * The deduplication id is fixed per order and step: if this handler fails after publishing and
   * OrderPlaced is delivered again, SNS drops the second copy (within its 5-minute window).
   */
  private emit(event: PaymentStarted | PaymentCompleted | PaymentFailed, step: 'started' | 'result'): Promise<unknown> {
    return this.publisher.publish(event, undefined, { groupId: event.orderId, deduplicationId: `${event.orderId}:${step}` });
  }
}
