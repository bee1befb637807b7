import { ConsoleLogger, Logger } from '@nestjs/common';
import { eur } from './messages';
import { FINAL_STATUSES, type Order } from './orders/order';
import type { Notification } from './notifications/outbox';

/** What the demo orders: one well under the limit, one far above it, one with several lines. */
const ORDERS = [
  { customer: 'ada', items: [{ sku: 'keyboard', quantity: 1, price: 89.9 }] },
  { customer: 'grace', items: [{ sku: 'laptop', quantity: 2, price: 1450 }] },
  {
    customer: 'linus',
    items: [
      { sku: 'coffee', quantity: 3, price: 12.5 },
      { sku: 'mug', quantity: 1, price: 9.99 },
    ],
  },
];

/**
 * The self-driving mode: places the orders one after the other over HTTP, like any client would,
 * and follows each until its status is final and its customer was notified. The contexts' own log
 * lines tell the story as it happens. Throws if an order does not end as the payment limit says it
 * should, or if the whole thing takes longer than `timeoutMs`.
 */
export async function runDemo(baseUrl: string, paymentLimit: number, timeoutMs = 30_000): Promise<void> {
  const logger = new Logger('Demo');
  const deadline = Date.now() + timeoutMs;
  const problems: string[] = [];
  for (const body of ORDERS) {
    logger.log(`POST /orders ${JSON.stringify(body)}`);
    const placed = await call<Order>(baseUrl, 'POST', '/orders', body);
    logger.log(`→ 201 ${placed.id} ${placed.status}, total ${eur(placed.total)}; waiting for the messages...`);
    const startedAt = Date.now();

    const order = await pollUntil(
      () => call<Order>(baseUrl, 'GET', `/orders/${placed.id}`),
      (current) => FINAL_STATUSES.includes(current.status),
      deadline,
      `order ${placed.id} to reach ${FINAL_STATUSES.join(' or ')}`,
    );
    const [notification] = await pollUntil(
      () => call<Notification[]>(baseUrl, 'GET', `/notifications?orderId=${encodeURIComponent(placed.id)}`),
      (sent) => sent.length > 0,
      deadline,
      `a notification about order ${placed.id}`,
    );

    const expected = placed.total <= paymentLimit ? 'PAID' : 'PAYMENT_FAILED';
    const path = order.history.map((step) => step.status).join(' → ');
    logger.log(`GET /orders/${order.id}: ${path} in ${Date.now() - startedAt} ms; ${order.customer} notified at ${notification.sentAt}`);
    if (order.status !== expected) {
      problems.push(`order ${order.id} (${eur(order.total)}, limit ${eur(paymentLimit)}) ended ${order.status}, expected ${expected}`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('; '));
  logger.log(`all ${ORDERS.length} orders reached the expected status`);
}

/**
 * The demo's output is the flow of messages; Nest's startup lines (every module and route) would
 * bury it, so they are left out. Everything else, warnings and errors included, is printed.
 */
export class DemoLogger extends ConsoleLogger {
  private static readonly quiet: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && DemoLogger.quiet.has(context)) return;
    super.log(message, ...(rest as [string?]));
  }
}

async function call<T>(baseUrl: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, deadline: number, what: string): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
