import { connect } from 'amqplib';
import { RabbitMqBackend } from '../../lib/backends/rabbitmq';
import type { QueueSpec, TopicSpec } from '../../lib/backends/messaging-backend';
import type { RabbitMqBackendOptions } from '../../lib/backends/rabbitmq';
import { silentLogger } from '../support/sqs';

export const RABBITMQ_URL_ENV = 'MELANGE_TEST_RABBITMQ_URL';

export function rabbitMqUrl(): string {
  return process.env[RABBITMQ_URL_ENV] ?? 'amqp://guest:guest@127.0.0.1:5672';
}

/**
 * Backends whose queues and exchanges are deleted when the spec file ends, so runs do not pile
 * durable queues up on the machine's broker. Delay queues expire by themselves.
 */
export class RabbitMqFactory {
  private readonly backends: RabbitMqBackend[] = [];
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  create(options: Partial<RabbitMqBackendOptions> = {}): RabbitMqBackend {
    const factory = this;
    const backend = new (class extends RabbitMqBackend {
      override declareQueue(spec: QueueSpec): Promise<void> {
        factory.queues.add(spec.name);
        if (spec.deadLetterQueue !== undefined) factory.queues.add(spec.deadLetterQueue);
        return super.declareQueue(spec);
      }
      override declareTopic(spec: TopicSpec): Promise<void> {
        factory.exchanges.add(spec.name);
        return super.declareTopic(spec);
      }
    })({ url: rabbitMqUrl(), logger: silentLogger, ...options });
    this.backends.push(backend);
    return backend;
  }

  async cleanUp(): Promise<void> {
    await Promise.allSettled(this.backends.splice(0).map((backend) => backend.close()));
    const connection = await connect(rabbitMqUrl());
    try {
      const channel = await connection.createChannel();
      for (const queue of this.queues) await channel.deleteQueue(queue);
      for (const exchange of this.exchanges) await channel.deleteExchange(exchange);
    } finally {
      await connection.close();
    }
  }
}

/** Publishes with amqplib itself, as a foreign producer would. */
export async function publishRaw(queue: string, messages: ReadonlyArray<{ content: Buffer; headers?: Record<string, unknown>; messageId?: string }>): Promise<void> {
  const connection = await connect(rabbitMqUrl());
  try {
    const channel = await connection.createConfirmChannel();
    for (const { content, headers, messageId } of messages) channel.sendToQueue(queue, content, { headers, messageId, persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}
