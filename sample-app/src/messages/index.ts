/** The contract between the contexts: message classes and the topics they travel on. */
import type { InfrastructureOptions } from '../melange';
import { ORDERS_TOPIC, PAYMENTS_TOPIC } from './topics';

export { eur } from './money';
export { OrderPlaced } from './order-placed';
export { PaymentCompleted, PaymentFailed, PaymentStarted } from './payment-events';
export { ORDERS_TOPIC, PAYMENTS_TOPIC } from './topics';

/** Topics every context relies on; each context declares its own queues and subscriptions. */
export const topicsInfrastructure: InfrastructureOptions = {
  topics: [{ name: ORDERS_TOPIC }, { name: PAYMENTS_TOPIC, fifo: true }],
};
