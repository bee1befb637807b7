import { manifestOf, type InfrastructureOptions } from '../melange';
import { OrderPlaced } from '../messages/order-placed';
import { ORDERS_TOPIC } from '../messages/topics';

export const PAYMENTS_QUEUE = 'sample-payments';

export const paymentsInfrastructure: InfrastructureOptions = {
  queues: [
    {
      name: PAYMENTS_QUEUE,
      // An order whose charge keeps failing (the gateway down for longer than the retries last)
      // ends up here with the reason, rather than being retried forever or lost.
      deadLetterQueue: 'sample-payments-dlq',
      // Longer than a charge can take, so no second consumer picks up an order being charged.
      visibilityTimeout: 30,
    },
  ],
  subscriptions: [
    {
      topic: ORDERS_TOPIC,
      queue: PAYMENTS_QUEUE,
      rawDelivery: true,
      // Payments only charges new orders. Whatever else orders may publish on its topic one day
      // stays out of this queue instead of arriving here with no handler (and being dead-lettered).
      manifests: [manifestOf(OrderPlaced)],
    },
  ],
};
