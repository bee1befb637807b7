import type { Notification } from '../../sample-app/src/notifications/outbox';
import type { Order, OrderStatus } from '../../sample-app/src/orders/order';

/** The sample under test: where it answers, and what it printed, for a failure to show. */
export interface SampleUnderTest {
  url(): string;
  output?(): string;
}

/** The sample's HTTP API as its users call it. */
export class SampleClient {
  /** Ids of the orders placed through this client. */
  readonly placed: string[] = [];

  constructor(private readonly sample: SampleUnderTest) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.sample.url()}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async place(customer: string, price: number, quantity = 1): Promise<Order> {
    const { status, body } = await this.call<Order>('POST', '/orders', { customer, items: [{ sku: 'thing', quantity, price }] });
    expect(status).toBe(201);
    expect(body.status).toBe('PENDING');
    this.placed.push(body.id);
    return body;
  }

  settled(id: string): Promise<Order> {
    return this.poll<Order>(`/orders/${id}`, (order) => order.status === 'PAID' || order.status === 'PAYMENT_FAILED');
  }

  notified(id: string): Promise<Notification[]> {
    return this.poll<Notification[]>(`/notifications?orderId=${id}`, (sent) => sent.length > 0);
  }

  private async poll<T>(path: string, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await this.call<T>('GET', path);
      if (done(body)) return body;
      if (Date.now() > deadline) {
        const output = this.sample.output ? `:\n${this.sample.output().slice(-3000)}` : '';
        throw new Error(`GET ${path} still answers ${JSON.stringify(body)} after ${timeoutMs} ms${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

export const statusesOf = (order: Order): OrderStatus[] => order.history.map((step) => step.status);

/**
 * The order flows every broker the sample runs on must carry the same way, registered as specs in
 * the calling describe block. `afterConcurrentOrders` adds what a broker shows of its FIFO queues.
 */
export function orderFlowSpecs(sample: SampleUnderTest, afterConcurrentOrders?: () => Promise<void>): SampleClient {
  const client = new SampleClient(sample);

  it('takes an order under the limit to PAID through payments, and tells the customer', async () => {
    const placed = await client.place('ada', 45, 2);
    expect(placed.total).toBe(90);

    const order = await client.settled(placed.id);
    expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', 'PAID']);
    expect(order.paymentId).toMatch(/^pay-/);
    const [notification] = await client.notified(placed.id);
    expect(notification).toMatchObject({ customer: 'ada', text: expect.stringContaining('payment of 90.00 EUR') });
  });

  it('takes an order above the limit to PAYMENT_FAILED, with the reason, and tells the customer', async () => {
    const placed = await client.place('grace', 1450, 2);

    const order = await client.settled(placed.id);
    expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', 'PAYMENT_FAILED']);
    expect(order.failureReason).toBe("2900.00 EUR exceeds grace's card limit of 1000.00 EUR");
    const [notification] = await client.notified(placed.id);
    expect(notification).toMatchObject({ customer: 'grace', text: expect.stringContaining('could not take payment') });
  });

  it('settles orders placed at once, each in its own FIFO group, each to its own outcome', async () => {
    const prices = [10, 2000, 999.99, 1000.01, 500];
    const placed = await Promise.all(prices.map((price, index) => client.place(`customer-${index}`, price)));

    const orders = await Promise.all(placed.map((order) => client.settled(order.id)));
    expect(orders.map((order) => order.status)).toEqual(['PAID', 'PAYMENT_FAILED', 'PAID', 'PAYMENT_FAILED', 'PAID']);
    // FIFO per order: no order ever saw its payment events out of order.
    for (const order of orders) expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', order.status]);
    await Promise.all(placed.map((order) => client.notified(order.id)));
    await afterConcurrentOrders?.();
  });

  it('answers 400 to an invalid order and 404 to an unknown one, without creating an order', async () => {
    const before = (await client.call<Order[]>('GET', '/orders')).body.length;

    const invalid = await client.call<{ message: string[] }>('POST', '/orders', { customer: '', items: [{ sku: 'x', quantity: 0, price: 1 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(['customer should not be empty', 'items.0.quantity must not be less than 1']);
    expect((await client.call('GET', '/orders/ord-missing')).status).toBe(404);
    expect((await client.call<Order[]>('GET', '/orders')).body).toHaveLength(before);
  });
  return client;
}
