import type { Notification } from '../../sample-app/src/notifications/outbox';
import type { Order, OrderStatus } from '../../sample-app/src/orders/order';
import { startSampleApp, type RunningSample } from '../../sample-app/src/sample-app';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { DATABASE_URL } from '../support/postgres';
import { plainSqs, queueAttributes } from '../support/sqs';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';

/*
 * The sample app as its users run it: its own bootstrap function, real HTTP on 127.0.0.1, and the
 * SQS/SNS server of Jest's global setup (found through MELANGE_SQS_ENDPOINT, as the app always
 * finds its server). Its queues and topics are named "sample-...", apart from every other spec's.
 */
const DEAD_LETTER_QUEUES = ['sample-payments-dlq', 'sample-orders-payments-dlq.fifo', 'sample-notifications-dlq.fifo'];

async function deadLettered(): Promise<Record<string, number>> {
  const sqs = plainSqs();
  try {
    const counts: Record<string, number> = {};
    for (const queue of DEAD_LETTER_QUEUES) {
      counts[queue] = Number((await queueAttributes(sqs, queue)).ApproximateNumberOfMessages);
    }
    return counts;
  } finally {
    sqs.destroy();
  }
}

describe('the sample app, over HTTP and SQS/SNS', () => {
  let sample: RunningSample;
  /** What the dead-letter queues held before: a server given from outside may have kept queues from an earlier run. */
  let deadLetteredBefore: Record<string, number>;
  const schema = `sample_${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (!process.env[SQS_ENDPOINT_ENV]) throw new Error(`${SQS_ENDPOINT_ENV} is not set: run through jest.config.js`);
    process.env.PAYMENT_LIMIT = '1000';
    // The real server, in a schema of this spec's: PGlite, the sample's default, runs outside Jest
    // only (npm run sample:demo covers it).
    process.env.DATABASE_URL = DATABASE_URL;
    process.env.DATABASE_SCHEMA = schema;
    sample = await startSampleApp({ port: 0, logger: ['error', 'warn'] });
    deadLetteredBefore = await deadLettered();
  });

  afterAll(async () => {
    await sample?.app.close();
    const pool = new Pool({ connectionString: DATABASE_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${sample.url}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  }

  async function place(customer: string, price: number, quantity = 1): Promise<Order> {
    const { status, body } = await call<Order>('POST', '/orders', { customer, items: [{ sku: 'thing', quantity, price }] });
    expect(status).toBe(201);
    expect(body.status).toBe('PENDING');
    return body;
  }

  async function poll<T>(path: string, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { body } = await call<T>('GET', path);
      if (done(body)) return body;
      if (Date.now() > deadline) throw new Error(`GET ${path} still answers ${JSON.stringify(body)} after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const settled = (id: string): Promise<Order> => poll<Order>(`/orders/${id}`, (order) => order.status === 'PAID' || order.status === 'PAYMENT_FAILED');
  const notified = (id: string): Promise<Notification[]> => poll<Notification[]>(`/notifications?orderId=${id}`, (sent) => sent.length > 0);
  const statusesOf = (order: Order): OrderStatus[] => order.history.map((step) => step.status);

  it('takes an order under the limit to PAID through payments, and tells the customer', async () => {
    const placed = await place('ada', 45, 2);
    expect(placed.total).toBe(90);

    const order = await settled(placed.id);
    expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', 'PAID']);
    expect(order.paymentId).toMatch(/^pay-/);
    const [notification] = await notified(placed.id);
    expect(notification).toMatchObject({ customer: 'ada', text: expect.stringContaining('payment of 90.00 EUR') });
  });

  it('takes an order above the limit to PAYMENT_FAILED, with the reason, and tells the customer', async () => {
    const placed = await place('grace', 1450, 2);

    const order = await settled(placed.id);
    expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', 'PAYMENT_FAILED']);
    expect(order.failureReason).toBe("2900.00 EUR exceeds grace's card limit of 1000.00 EUR");
    const [notification] = await notified(placed.id);
    expect(notification).toMatchObject({ customer: 'grace', text: expect.stringContaining('could not take payment') });
  });

  it('settles orders placed at once, each in its own FIFO group, each to its own outcome', async () => {
    const prices = [10, 2000, 999.99, 1000.01, 500];
    const placed = await Promise.all(prices.map((price, index) => place(`customer-${index}`, price)));

    const orders = await Promise.all(placed.map((order) => settled(order.id)));
    expect(orders.map((order) => order.status)).toEqual(['PAID', 'PAYMENT_FAILED', 'PAID', 'PAYMENT_FAILED', 'PAID']);
    // FIFO per order: no order ever saw its payment events out of order.
    for (const order of orders) expect(statusesOf(order)).toEqual(['PENDING', 'PAYMENT_PROCESSING', order.status]);
    await Promise.all(placed.map((order) => notified(order.id)));
  });

  it('answers 400 to an invalid order and 404 to an unknown one, without creating an order', async () => {
    const before = (await call<Order[]>('GET', '/orders')).body.length;

    const invalid = await call<{ message: string[] }>('POST', '/orders', { customer: '', items: [{ sku: 'x', quantity: 0, price: 1 }] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.message).toEqual(['customer should not be empty', 'items.0.quantity must not be less than 1']);
    expect((await call('GET', '/orders/ord-missing')).status).toBe(404);
    expect((await call<Order[]>('GET', '/orders')).body).toHaveLength(before);
  });

  it('dead-letters nothing: the filter policies keep PaymentStarted and the like away from queues without a handler for them', async () => {
    // Runs after the orders above settled and were notified, so every event has been delivered.
    expect(await deadLettered()).toEqual(deadLetteredBefore);
  });
});
