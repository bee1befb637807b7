import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { MelangePublisher, NonRetryableError } from '../melange';
import { eur, OrderPlaced } from '../messages';
import { SampleDatabase } from '../database/sample-database';
import { NEXT_STATUSES, type Order, type OrderLine, type OrderStatus } from './order';
import { OrdersRepository } from './orders.repository';

/**
 * The orders context: stores orders and moves them through their statuses as payment events
 * arrive. It never calls payments; it only publishes and listens.
 */
@Injectable()
export class OrdersService {
  private readonly logger = new Logger('Orders');

  constructor(
    private readonly publisher: MelangePublisher,
    private readonly database: SampleDatabase,
    private readonly orders: OrdersRepository,
  ) {}

  /**
   * The order and its OrderPlaced commit together (the outbox): no order that payments never hears
   * of, and no OrderPlaced for an order that was never stored.
   */
  async place(customer: string, items: readonly OrderLine[]): Promise<Order> {
    // Cents, so that 3 × 0.10 is 0.30 and not 0.30000000000000004.
    const cents = items.reduce((sum, line) => sum + Math.round(line.price * 100) * line.quantity, 0);
    const order: Order = {
      id: `ord-${randomUUID().slice(0, 8)}`,
      customer,
      items,
      total: cents / 100,
      status: 'PENDING',
      history: [{ status: 'PENDING', at: new Date().toISOString() }],
    };
    await this.database.transaction(async (transaction) => {
      await this.orders.insert(transaction, order);
      const event = OrderPlaced.of({ orderId: order.id, customer, total: order.total, placedAt: new Date(order.history[0].at) });
      await this.publisher.publish(event, { transaction });
    });
    this.logger.log(`order ${order.id} placed by ${customer} for ${eur(order.total)}: OrderPlaced committed with it, through the outbox`);
    return order;
  }

  find(id: string): Promise<Order | undefined> {
    return this.orders.find(id);
  }

  list(): Promise<Order[]> {
    return this.orders.list();
  }

  /**
   * Applies a payment event. Redelivered events (SQS delivers at least once) find the order
   * already there and change nothing. An event for an unknown order, or one that would move an
   * order backwards, cannot succeed on a retry either: NonRetryableError sends it straight to the
   * dead-letter queue, with the reason, for someone to look at.
   */
  async moveTo(orderId: string, status: OrderStatus, details: Pick<Order, 'paymentId' | 'failureReason'> = {}): Promise<void> {
    let unchanged = false;
    const order = await this.orders.update(orderId, (current) => {
      if (current.status === status) {
        unchanged = true;
        return;
      }
      if (!NEXT_STATUSES[current.status].includes(status)) {
        throw new NonRetryableError(`order ${orderId} cannot go from ${current.status} to ${status}`);
      }
      Object.assign(current, details);
      current.status = status;
      current.history.push({ status, at: new Date().toISOString() });
    });
    if (!order) throw new NonRetryableError(`order ${orderId} is unknown (without DATABASE_URL, orders live in memory: was the app restarted?)`);
    if (unchanged) {
      this.logger.log(`order ${orderId} is already ${status}: duplicate event ignored`);
      return;
    }
    this.logger.log(`order ${orderId} is now ${status}${details.failureReason ? ` (${details.failureReason})` : ''}`);
  }
}
