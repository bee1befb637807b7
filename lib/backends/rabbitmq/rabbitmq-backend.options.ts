import type { LoggerService } from '@nestjs/common';

export interface RabbitMqBackendOptions {
  /** `amqp://user:password@host:port/vhost`; query parameters such as `heartbeat` are passed to amqplib. */
  readonly url: string;
  /**
   * How long `send` and `publish` keep trying while the broker is unreachable or does not confirm,
   * before they reject. Retrying after a lost confirm may store a message twice; consumers see
   * the same message id both times.
   */
  readonly publishTimeoutMs?: number;
  /** Receives of one message after which it goes to the queue's dead-letter queue, when a queue spec gives none. */
  readonly maxReceiveCount?: number;
  /** When a handler ends without deciding, the message comes back after this long. */
  readonly undecidedRetryDelayMs?: number;
  /** Longest wait between reconnection attempts; they start at 100 ms and double. */
  readonly maxReconnectDelayMs?: number;
  /**
   * Sent to the broker as the connection's `connection_name`: the management UI and `rabbitmqctl
   * list_connections client_properties` show it, so an operator can tell this application's
   * connection from others' (and close that one alone).
   */
  readonly connectionName?: string;
  readonly logger?: LoggerService;
}

export interface ResolvedRabbitMqOptions {
  readonly url: string;
  readonly publishTimeoutMs: number;
  readonly maxReceiveCount?: number;
  readonly undecidedRetryDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly connectionName?: string;
}

export function resolveRabbitMqOptions(options: RabbitMqBackendOptions): ResolvedRabbitMqOptions {
  return {
    url: options.url,
    publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
    maxReceiveCount: options.maxReceiveCount,
    undecidedRetryDelayMs: options.undecidedRetryDelayMs ?? 1000,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 5000,
    connectionName: options.connectionName,
  };
}
