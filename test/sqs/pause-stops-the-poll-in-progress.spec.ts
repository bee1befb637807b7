import type { Delivery } from '../../lib/backends/messaging-backend';
import { BackendFactory, envelope, plainSqs, sleep, uniqueName, waitFor } from '../support/sqs';

/*
 * pause() means nothing more is handled: a long poll already on its way when pause() is called
 * would otherwise hand over a message sent during the pause, seconds later.
 */
describe('pause() during a long poll', () => {
  const factory = new BackendFactory();
  const sqs = plainSqs();
  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('aborts the receive in progress, so a message sent while paused is not handled until resume()', async () => {
    const backend = factory.create({ waitTimeSeconds: 10 });
    const queue = uniqueName('pause-poll');
    // The server may already have handed the message to the aborted poll: it is back after 2 s.
    await backend.declareQueue({ name: queue, visibilityTimeout: 2 });
    const handled: string[] = [];
    const consumer = backend.consume(
      queue,
      async (delivery: Delivery) => {
        handled.push(delivery.envelope.payload);
        await delivery.ack();
      },
      { concurrency: 10 },
    );
    try {
      // The poller is waiting in its 10 s long poll.
      await sleep(500);
      consumer.pause();
      await backend.send(queue, envelope({ payload: 'sent while paused' }));
      // That nothing happens can only be seen over time: longer than a local poll takes to answer.
      await sleep(1500);

      expect(handled).toEqual([]);

      consumer.resume();
      await waitFor(() => handled.length === 1, 8_000, 'the message to be handled after resume()');
      expect(handled).toEqual(['sent while paused']);
    } finally {
      await consumer.stop();
    }
  });
});
