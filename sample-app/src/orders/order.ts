export type OrderStatus = 'PENDING' | 'PAYMENT_PROCESSING' | 'PAID' | 'PAYMENT_FAILED';

/** Statuses an order never leaves. */
export const FINAL_STATUSES: readonly OrderStatus[] = ['PAID', 'PAYMENT_FAILED'];

/** Where each status may go next; payment events move an order along these edges only. */
export const NEXT_STATUSES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAYMENT_PROCESSING'],
  PAYMENT_PROCESSING: ['PAID', 'PAYMENT_FAILED'],
  PAID: [],
  PAYMENT_FAILED: [],
};

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  /** Unit price in EUR. */
  readonly price: number;
}

/** An order as `GET /orders/:id` shows it. */
export interface Order {
  readonly id: string;
  readonly customer: string;
  readonly items: readonly OrderLine[];
  readonly total: number;
  status: OrderStatus;
  /** Every status the order went through, oldest first. */
  readonly history: Array<{ status: OrderStatus; at: string }>;
  paymentId?: string;
  failureReason?: string;
}
