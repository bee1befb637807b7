import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsBackend } from '../../lib/backends/sqs/sqs-backend';
import { BackendFactory, envelope, plainSqs, receivePlain, uniqueName } from '../support/sqs';

describe('subscription filter policy', () => {
  const factory = new BackendFactory();
  let backend: SqsBackend;
  let sqs: SQSClient;

  beforeAll(() => {
    backend = factory.create();
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('keeps message types a queue did not ask for away from it, by manifest', async () => {
    const topic = uniqueName('filter');
    const everything = uniqueName('filter-all');
    const createdOnly = uniqueName('filter-created');
    await backend.declareQueue({ name: everything });
    await backend.declareQueue({ name: createdOnly });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue: everything, rawDelivery: true });
    await backend.declareSubscription({ topic, queue: createdOnly, rawDelivery: true, manifests: ['OrderCreated'] });

    await backend.publish(topic, envelope({ manifest: 'OrderCreated', payload: 'created' }));
    await backend.publish(topic, envelope({ manifest: 'OrderCancelled', payload: 'cancelled' }));

    const toEverything = await receivePlain(sqs, everything, 2);
    const toCreatedOnly = await receivePlain(sqs, createdOnly, 2, 1500);
    expect(toEverything.map((message) => message.Body).sort()).toEqual(['cancelled', 'created']);
    expect(toCreatedOnly.map((message) => message.Body)).toEqual(['created']);
  });

  it('applies a custom filter policy on user attributes', async () => {
    const topic = uniqueName('filter-custom');
    const queue = uniqueName('filter-custom-queue');
    await backend.declareQueue({ name: queue });
    await backend.declareTopic({ name: topic });
    await backend.declareSubscription({ topic, queue, rawDelivery: true, filterPolicy: { tenant: ['acme'] } });

    await backend.publish(topic, envelope({ attributes: { tenant: 'acme' }, payload: 'for acme' }));
    await backend.publish(topic, envelope({ attributes: { tenant: 'globex' }, payload: 'for globex' }));

    const received = await receivePlain(sqs, queue, 2, 1500);
    expect(received.map((message) => message.Body)).toEqual(['for acme']);
  });
});
