import type { InfrastructureOptions } from '../melange';
import { PAYMENTS_TOPIC } from '../messages/topics';

/** FIFO like the topic that feeds it: SNS FIFO topics deliver to FIFO queues only. */
export const ORDER_PAYMENTS_QUEUE = 'sample-orders-payments.fifo';

export const ordersInfrastructure: InfrastructureOptions = {
  queues: [
    {
      name: ORDER_PAYMENTS_QUEUE,
      // Said, not only implied by the name: SQS reads ".fifo", RabbitMQ reads this flag.
      fifo: true,
      // Events orders cannot apply (unknown order, impossible status change) are set aside here,
      // with the reason, instead of blocking their message group forever.
      deadLetterQueue: 'sample-orders-payments-dlq.fifo',
    },
  ],
  // Every payment event matters to orders, so no filter. Raw delivery: the queue gets the message
  // itself rather than wrapped in an SNS notification (the library reads both).
  subscriptions: [{ topic: PAYMENTS_TOPIC, queue: ORDER_PAYMENTS_QUEUE, rawDelivery: true }],
};
