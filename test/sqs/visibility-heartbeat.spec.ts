import { Recorder } from '../support/recorder';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, receivePlain, sleep, uniqueName } from '../support/sqs';

describe('visibility heartbeat', () => {
  const factory = new BackendFactory();
  afterAll(() => factory.closeAll());

  it('keeps a message invisible while its handler runs past the visibility timeout', async () => {
    const backend = factory.create();
    const queue = uniqueName('heartbeat');
    await backend.declareQueue({ name: queue, visibilityTimeout: 2 });
    const acked = new Recorder<string>();
    const recorder = new DeliveryRecorder(async (delivery) => {
      await sleep(4500);
      await delivery.ack();
      acked.record(delivery.envelope.messageId);
    });
    // Room for a second delivery: without the heartbeat, the message would come back after 2 s
    // and this consumer would take it again.
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 11 });

    await backend.send(queue, envelope());
    await acked.waitFor(1, 10_000);
    await consumer.stop();

    expect(recorder.deliveries.map((delivery) => delivery.receiveCount)).toEqual([1]);
    const sqs = plainSqs();
    expect(await receivePlain(sqs, queue, 1, 1000)).toEqual([]);
    sqs.destroy();
  }, 20_000);

  it('keeps more messages invisible than one renewal request carries', async () => {
    const backend = factory.create();
    const queue = uniqueName('heartbeat-many');
    await backend.declareQueue({ name: queue, visibilityTimeout: 2 });
    const acked = new Recorder<string>();
    const recorder = new DeliveryRecorder(async (delivery) => {
      await sleep(4500);
      await delivery.ack();
      acked.record(delivery.envelope.messageId);
    });
    // 12 at once, so renewals take two batch requests; room for 12 more, so any message whose
    // renewal was missed would be taken again.
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 24 });

    for (let index = 0; index < 12; index++) await backend.send(queue, envelope());
    await acked.waitFor(12, 15_000);
    await consumer.stop();

    expect(recorder.deliveries.map((delivery) => delivery.receiveCount)).toEqual(new Array(12).fill(1));
    const sqs = plainSqs();
    expect(await receivePlain(sqs, queue, 10, 1000)).toEqual([]);
    sqs.destroy();
  }, 25_000);
});
