import { TcpProxy } from '../support/tcp-proxy';
import { envelope, sleep, waitFor } from '../support/sqs';
import { RabbitMqFactory, rabbitMqUrl } from '../rabbitmq/rabbitmq-support';
import { Recorder } from '../../lib/testing/conformance/conformance-harness';

const TOTAL = 1000;

describe('RabbitMQ: the broker connection cut mid-run', () => {
  const factory = new RabbitMqFactory();
  const proxy = TcpProxy.forUrl(rabbitMqUrl().replace(/^amqp:\/\/[^@]*@/, 'http://'));
  beforeAll(() => proxy.up());
  afterAll(async () => {
    await factory.cleanUp();
    await proxy.down();
  });

  it('loses no message: unacknowledged ones come back after the consumer reconnects; duplicates are counted', async () => {
    const direct = factory.create();
    const behindProxy = factory.create({ url: `amqp://guest:guest@127.0.0.1:${new URL(proxy.url).port}` });
    const queue = `faults-rabbit-cut-${Date.now()}`;
    await direct.declareQueue({ name: queue });
    await behindProxy.declareQueue({ name: queue });
    const sent = Array.from({ length: TOTAL }, () => envelope());
    const recorder = new Recorder(async (delivery) => {
      await sleep(5);
      await delivery.ack();
    });
    const handle = behindProxy.consume(queue, recorder.handler, { concurrency: 16 });
    const publishing = Promise.all(sent.map((message) => direct.send(queue, message)));
    await recorder.waitForCount(300, 30_000);
    await proxy.down();
    await waitFor(() => handle.status().failing, 10_000, 'the consumer to notice');
    await sleep(1000);
    await proxy.up();
    await publishing;
    const ids = (): Set<string> => new Set(recorder.deliveries.map((delivery) => delivery.envelope.messageId));
    await waitFor(() => ids().size >= TOTAL, 30_000, `all ${TOTAL} messages (got ${ids().size})`);
    console.log(`connection cut after ~300 handled; ${recorder.deliveries.length - ids().size} delivered twice`);
    expect(sent.filter((message) => !ids().has(message.messageId))).toEqual([]);
    expect(handle.status().failing).toBe(false);
    await handle.stop();
  }, 90_000);
});
