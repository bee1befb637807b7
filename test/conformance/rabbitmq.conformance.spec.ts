import { RabbitMqBackend } from '../../lib/backends/rabbitmq';
import { describeBackendConformance } from '../../lib/testing';
import { silentLogger } from '../support/sqs';
import { RabbitMqFactory, publishRaw } from '../rabbitmq/rabbitmq-support';

const factory = new RabbitMqFactory();
afterAll(() => factory.cleanUp());

describeBackendConformance({
  name: 'RabbitMQ',
  create: () => factory.create(),
  putHostileMessages: async (queue) => {
    const hostile = [
      { content: Buffer.from([0xc3, 0x28, 0xff]) },
      { content: Buffer.from('{"orderId":"42"}'), headers: { manifest: 7, serializer_id: 'pickle' } },
      { content: Buffer.from('{}'), headers: { nested: { deep: [1, 2] }, ['__proto__']: 'x' }, messageId: '' },
      { content: Buffer.from('not json at all'), headers: { manifest: 'conformance.labelled', serializer_id: 1 } },
    ];
    await publishRaw(queue, hostile);
    return hostile.length;
  },
  createUnreachable: () => new RabbitMqBackend({ url: 'amqp://guest:guest@127.0.0.1:9', logger: silentLogger }),
});
