import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MelangePublisher, NonRetryableError } from '../melange';
import { eur, OrderPlaced } from '../messages';
import { NEXT_STATUSES, type Order, type OrderLine, type OrderStatus } from './order';

/**
 * The orders context: keeps orders (in memory: this is a sample) and moves them through their
 * statuses as payment events arrive. It never calls payments; it only publishes and listens.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('Orders');
  private readonly orders = new Map<string, Order>();

  constructor(private readonly publisher: MelangePublisher) {}

  async place(customer: string, items: readonly OrderLine[]): Promise<Order> {
    // Cents, so that 3 × 0.10 is 0.30 and not 0.30000000000000004.
    const cents = items.reduce((sum, line) => sum + Math.round(line.price * 100) * line.quantity, 0);
    const order: Order = {
      id: this.newId(),
      customer,
      items,
      total: cents / 100,
      status: 'PENDING',
      history: [{ status: 'PENDING', at: new Date().toISOString() }],
    };
    this.orders.set(order.id, order);
    try {
      await this.publisher.publish(
        OrderPlaced.of({ orderId: order.id, customer, total: order.total, placedAt: new Date(order.history[0].at) }),
      );
    } catch (error) {
      // No event, no payment: an order nobody will ever charge must not linger as PENDING. A real
      // service would store the order and the event in one transaction (the outbox pattern).
      this.orders.delete(order.id);
      throw error;
    }
    this.logger.log(`order ${order.id} placed by ${customer} for ${eur(order.total)}: OrderPlaced published`);
    return order;
  }

  find(id: string): Order | undefined {
    return this.orders.get(id);
  }

  list(): Order[] {
    return [...this.orders.values()];
  }

  /**
   * Applies a payment event. Redelivered events (SQS delivers at least once) find the order
   * already there and change nothing. An event for an unknown order, or one that would move an
   * order backwards, cannot succeed on a retry either: NonRetryableError sends it straight to the
   * dead-letter queue, with the reason, for someone to look at.
   */
  moveTo(orderId: string, status: OrderStatus, details: Pick<Order, 'paymentId' | 'failureReason'> = {}): void {
    const order = this.orders.get(orderId);
    if (!order) {
      throw new NonRetryableError(`order ${orderId} is unknown (orders live in memory: was the app restarted?)`);
    }
    if (order.status === status) {
      this.logger.log(`order ${orderId} is already ${status}: duplicate event ignored`);
      return;
    }
    if (!NEXT_STATUSES[order.status].includes(status)) {
      throw new NonRetryableError(`order ${orderId} cannot go from ${order.status} to ${status}`);
    }
    Object.assign(order, details);
    order.status = status;
    order.history.push({ status, at: new Date().toISOString() });
    this.logger.log(`order ${orderId} is now ${status}${details.failureReason ? ` (${details.failureReason})` : ''}`);
  }

  private newId(): string {
    let id: string;
    do {
      // Short enough to type into curl; the loop makes a clash harmless.
      id = `ord-${randomUUID().slice(0, 8)}`;
    } while (this.orders.has(id));
    return id;
  }
}
