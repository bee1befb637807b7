import { connect } from 'node:net';

const RABBITMQ_URL_ENV = 'MELANGE_TEST_RABBITMQ_URL';

/** The RabbitMQ specs use the machine's server; fail the run at once, saying how to start it, when it does not answer. */
export async function ensureRabbitMq(): Promise<void> {
  const url = new URL(process.env[RABBITMQ_URL_ENV] ?? 'amqp://127.0.0.1:5672');
  const port = Number(url.port || 5672);
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, url.hostname);
    socket.setTimeout(3000, () => socket.destroy(new Error('no answer within 3 s')));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', (error) =>
      reject(
        new Error(
          `RabbitMQ does not answer on ${url.hostname}:${port} (${error.message}); the RabbitMQ specs need it. ` +
            `Start it with "rabbitmq-server -detached" (user guest/guest), or set ${RABBITMQ_URL_ENV} to another server.`,
        ),
      ),
    );
  });
}
