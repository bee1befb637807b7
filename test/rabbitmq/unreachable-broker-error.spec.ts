import { RabbitMqUnavailableError } from '../../lib/backends/rabbitmq';
import { freePort } from '../support/ports';
import { RabbitMqFactory } from './rabbitmq-support';

describe('RabbitMQ: a broker that does not answer', () => {
  const factory = new RabbitMqFactory();
  afterAll(() => factory.cleanUp());

  it('fails a declaration with RabbitMqUnavailableError, naming the URL (password masked) and how to start the server', async () => {
    const port = await freePort();
    const backend = factory.create({ url: `amqp://guest:secret@127.0.0.1:${port}` });

    const failure = await backend.declareQueue({ name: 'never-declared' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(RabbitMqUnavailableError);
    expect((failure as Error).message).toContain(`amqp://guest:***@127.0.0.1:${port}`);
    expect((failure as Error).message).not.toContain('secret');
    expect((failure as Error).message).toContain('rabbitmq-server -detached');
    expect((failure as Error).message).toContain('ECONNREFUSED');
  });
});
