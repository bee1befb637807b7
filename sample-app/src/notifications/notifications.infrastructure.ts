import { manifestOf, type InfrastructureOptions } from '../melange';
import { PaymentCompleted, PaymentFailed } from '../messages/payment-events';
import { PAYMENTS_TOPIC } from '../messages/topics';

/** FIFO because its topic is: SNS FIFO topics deliver to FIFO queues only. */
export const NOTIFICATIONS_QUEUE = 'sample-notifications.fifo';

export const notificationsInfrastructure: InfrastructureOptions = {
  // fifo said, not only implied by the name: SQS reads ".fifo", RabbitMQ reads this flag.
  queues: [{ name: NOTIFICATIONS_QUEUE, fifo: true, deadLetterQueue: 'sample-notifications-dlq.fifo' }],
  subscriptions: [
    {
      topic: PAYMENTS_TOPIC,
      queue: NOTIFICATIONS_QUEUE,
      rawDelivery: true,
      // The filter policy: customers hear about outcomes, not about PaymentStarted. SNS drops the
      // other events before they reach this queue, so they cost no receive and need no handler.
      manifests: [manifestOf(PaymentCompleted), manifestOf(PaymentFailed)],
    },
  ],
};
