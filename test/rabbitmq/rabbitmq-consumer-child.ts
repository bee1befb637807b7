/*
 * A consumer process for the SIGKILL fault spec: consumes RABBIT_QUEUE and appends each message id
 * to RABBIT_RECORD_FILE, synchronously, before acknowledging it, so a kill can only leave
 * messages handled but unacknowledged (duplicates later), never acknowledged but unrecorded.
 */
import { appendFileSync } from 'node:fs';
import { RabbitMqBackend } from '../../lib/backends/rabbitmq';

const queue = process.env.RABBIT_QUEUE!;
const file = process.env.RABBIT_RECORD_FILE!;
const backend = new RabbitMqBackend({ url: process.env.RABBIT_URL!, logger: { log: () => undefined, error: () => undefined, warn: () => undefined } });
void backend.declareQueue({ name: queue }).then(() =>
  backend.consume(
    queue,
    async (delivery) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10));
      appendFileSync(file, `${delivery.envelope.messageId}\n`);
      await delivery.ack();
    },
    { concurrency: 32 },
  ),
);
