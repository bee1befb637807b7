import { Type } from 'class-transformer';
import { Message } from '../melange';
import { ORDERS_TOPIC } from './topics';

/** Published by orders when a customer places an order; payments charges for it. */
@Message('orders.order-placed', { destination: { topic: ORDERS_TOPIC } })
export class OrderPlaced {
  orderId!: string;
  customer!: string;
  /** In EUR. */
  total!: number;
  // Without @Type the consumer would get the ISO string back, not a Date.
  @Type(() => Date) placedAt!: Date;

  static of(fields: OrderPlaced): OrderPlaced {
    return Object.assign(new OrderPlaced(), fields);
  }
}
