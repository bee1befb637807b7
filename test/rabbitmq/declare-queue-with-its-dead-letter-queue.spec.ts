import { connect, type ChannelModel } from 'amqplib';
import { RabbitMqFactory, rabbitMqUrl } from './rabbitmq-support';

/**
 * The queue exists (a passive check: it creates nothing) and was declared with these arguments: a
 * redeclaration with other arguments is refused by the broker (406).
 */
async function declaredAs(connection: ChannelModel, queue: string, singleActiveConsumer: boolean): Promise<boolean> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await channel.checkQueue(queue);
    await channel.assertQueue(queue, { durable: true, arguments: singleActiveConsumer ? { 'x-single-active-consumer': true } : {} });
    await channel.close();
    return true;
  } catch {
    return false;
  }
}

describe('RabbitMQ: declaring a queue, as SQS declares one', () => {
  const factory = new RabbitMqFactory();
  let connection: ChannelModel;

  beforeAll(async () => {
    connection = await connect(rabbitMqUrl());
  });

  afterAll(async () => {
    await connection.close();
    await factory.cleanUp();
  });

  it('creates its dead-letter queue with it, so a dead letter has somewhere to go', async () => {
    const backend = factory.create();
    const queue = `declare-dlq-${Date.now()}`;
    await backend.declareQueue({ name: queue, deadLetterQueue: `${queue}-dlq` });

    expect(await declaredAs(connection, `${queue}-dlq`, false)).toBe(true);
    expect(await declaredAs(connection, queue, false)).toBe(true);
  });

  it('makes a queue named *.fifo a FIFO queue (single active consumer), and its *.fifo dead-letter queue too', async () => {
    const backend = factory.create();
    const queue = `declare-fifo-${Date.now()}.fifo`;
    const deadLetterQueue = `declare-fifo-${Date.now()}-dlq.fifo`;
    await backend.declareQueue({ name: queue, deadLetterQueue });

    expect(await declaredAs(connection, queue, true)).toBe(true);
    expect(await declaredAs(connection, deadLetterQueue, true)).toBe(true);
    expect(await declaredAs(connection, queue, false)).toBe(false);
  });

  it('declares again what exists as declared without complaint', async () => {
    const backend = factory.create();
    const queue = `declare-twice-${Date.now()}.fifo`;
    await backend.declareQueue({ name: queue, deadLetterQueue: `${queue}-dlq` });

    await expect(backend.declareQueue({ name: queue, deadLetterQueue: `${queue}-dlq` })).resolves.toBeUndefined();
  });
});
