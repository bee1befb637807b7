/** The library's RabbitMQ backend, as the sample sees it: `nestjs-melange/rabbitmq` in your application (see melange.ts). */
export * from '../../lib/backends/rabbitmq';
