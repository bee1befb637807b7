import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import { BackendFactory, DeliveryRecorder, envelope, uniqueName } from '../support/sqs';

describe('topic fan-out', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;

  beforeAll(() => {
    backend = factory.create();
  });

  afterAll(() => factory.closeAll());

  it('delivers one publish to every subscribed queue, raw or in an SNS envelope, as the same envelope', async () => {
    const topic = uniqueName('fan-out');
    const billing = uniqueName('fan-out-billing');
    const shipping = uniqueName('fan-out-shipping');
    await backend.declareQueue({ name: billing });
    await backend.declareQueue({ name: shipping });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue: billing, rawDelivery: true });
    await backend.declareSubscription({ topic, queue: shipping, rawDelivery: false });
    const billingRecorder = new DeliveryRecorder();
    const shippingRecorder = new DeliveryRecorder();
    const consumers = [
      backend.consume(billing, billingRecorder.handler, { concurrency: 1 }),
      backend.consume(shipping, shippingRecorder.handler, { concurrency: 1 }),
    ];
    const published = envelope({ attributes: { tenant: 'acme' } });

    await backend.publish(topic, published);
    const [[billingDelivery], [shippingDelivery]] = await Promise.all([
      billingRecorder.waitForCount(1),
      shippingRecorder.waitForCount(1),
    ]);
    await Promise.all(consumers.map((consumer) => consumer.stop()));

    expect(billingDelivery?.envelope).toEqual(published);
    expect(shippingDelivery?.envelope).toEqual(published);
    expect(billingDelivery?.queue).toBe(billing);
    expect(shippingDelivery?.queue).toBe(shipping);
  });
});
