import { Message } from '../../lib';

/**
 * The message every scenario moves: a typed class whose JSON is about 200 bytes. `sentAt`
 * (epoch milliseconds, fractional) is read by the latency scenario.
 */
@Message('bench.order-placed')
export class OrderPlaced {
  orderId!: string;
  customerId!: string;
  total!: number;
  currency!: string;
  items!: { sku: string; quantity: number }[];
  note!: string;
  sentAt!: number;
}

export function makeOrder(index: number, sentAt = 0): OrderPlaced {
  return Object.assign(new OrderPlaced(), {
    orderId: `order-${String(index).padStart(10, '0')}`,
    customerId: 'customer-0000042',
    total: 123.45,
    currency: 'EUR',
    items: [
      { sku: 'SKU-00001', quantity: 2 },
      { sku: 'SKU-00002', quantity: 1 },
    ],
    note: 'ring twice',
    sentAt,
  });
}

/** How a raw SDK or peer-library consumer turns a body into the class: parse, then assign. */
export function orderFromJson(json: string): OrderPlaced {
  return Object.assign(new OrderPlaced(), JSON.parse(json) as object);
}

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
