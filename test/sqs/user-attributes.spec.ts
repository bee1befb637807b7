import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import { BackendFactory, DeliveryRecorder, envelope, uniqueName } from '../support/sqs';

describe('user attributes', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;

  beforeAll(() => {
    backend = factory.create();
  });

  afterAll(() => factory.closeAll());

  const attributes = { tenant: 'acme', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x.region': 'eu' };

  it('round-trip through a queue', async () => {
    const queue = uniqueName('attributes');
    await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope({ attributes }));
    const [delivery] = await recorder.waitForCount(1);
    await consumer.stop();

    expect(delivery?.envelope.attributes).toEqual(attributes);
  });

  it('round-trip through a topic, with and without raw delivery', async () => {
    const topic = uniqueName('attributes-topic');
    const raw = uniqueName('attributes-raw');
    const wrapped = uniqueName('attributes-wrapped');
    await backend.declareQueue({ name: raw });
    await backend.declareQueue({ name: wrapped });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue: raw, rawDelivery: true });
    await backend.declareSubscription({ topic, queue: wrapped });
    const rawRecorder = new DeliveryRecorder();
    const wrappedRecorder = new DeliveryRecorder();
    const consumers = [
      backend.consume(raw, rawRecorder.handler, { concurrency: 1 }),
      backend.consume(wrapped, wrappedRecorder.handler, { concurrency: 1 }),
    ];

    await backend.publish(topic, envelope({ attributes }));
    const [[rawDelivery], [wrappedDelivery]] = await Promise.all([rawRecorder.waitForCount(1), wrappedRecorder.waitForCount(1)]);
    await Promise.all(consumers.map((consumer) => consumer.stop()));

    expect(rawDelivery?.envelope.attributes).toEqual(attributes);
    expect(wrappedDelivery?.envelope.attributes).toEqual(attributes);
  });
});
