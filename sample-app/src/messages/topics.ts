/*
 * Topic names are part of the contract between contexts: the publisher and every subscriber name
 * them. The "sample-" prefix keeps the sample's queues and topics apart from anything else on a
 * shared broker, including the library's own test suite, which runs on one shared local server.
 */

/** Order events. Standard (not FIFO): the orders of different customers need no common order. */
export const ORDERS_TOPIC = 'sample-orders';

/**
 * Payment events. FIFO, grouped by order id: "payment started" must be applied before "payment
 * completed", or an order could fall back from PAID to PAYMENT_PROCESSING.
 */
export const PAYMENTS_TOPIC = 'sample-payments.fifo';
