import { InMemoryBackend, type Delivery } from '../../lib';
import { Recorder } from '../support/recorder';

const envelope = (payload: string) => ({ payload, messageId: payload, attributes: {} });

describe('pausing an in-memory consumer', () => {
  it('leaves messages on the queue while paused, and hands them over once resumed', async () => {
    const backend = new InMemoryBackend();
    const seen = new Recorder<string>();
    const consumer = backend.consume(
      'jobs',
      async (delivery: Delivery) => {
        seen.record(delivery.envelope.payload);
        await delivery.ack();
      },
      { concurrency: 2 },
    );
    await backend.send('jobs', envelope('before'));
    await seen.waitFor(1);

    consumer.pause();
    await backend.send('jobs', envelope('while paused'));

    expect(consumer.status().state).toBe('paused');
    expect(backend.waitingIn('jobs').map((waiting) => waiting.payload)).toEqual(['while paused']);
    expect(seen.items).toEqual(['before']);

    consumer.resume();

    expect(await seen.waitFor(2)).toEqual(['before', 'while paused']);
    expect(consumer.status().state).toBe('running');
    await consumer.stop();
    expect(consumer.status().state).toBe('stopped');
  });
});
