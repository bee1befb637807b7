import { InMemoryBackend, type Delivery, type DeliveryHandler, type Envelope } from '../../lib';
import { Recorder } from '../support/recorder';

// As the SQS backend renews the visibility of a message whose handler still runs, the in-memory
// backend keeps such a message invisible: the visibility timeout only runs once the handler has
// settled without a decision, or once its consumer is abandoned (the backend closed under it).
// The clock is fake, so a handler "runs" for seconds without the spec waiting for them.

const VISIBILITY_MS = 1000;

function envelope(id: string): Envelope {
  return { payload: JSON.stringify({ id }), manifest: 'test.message', serializerId: 1, messageId: id, attributes: {} };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('the in-memory backend keeps a message invisible while its handler runs', () => {
  let backend: InMemoryBackend;
  /** Each call of a handler: the message id and its receive count. */
  let calls: Recorder<string>;

  const record = (delivery: Delivery) => calls.record(`${delivery.envelope.messageId}#${delivery.receiveCount}`);
  const consume = (queue: string, handler: DeliveryHandler, concurrency = 5) =>
    backend.consume(queue, async (delivery) => {
      record(delivery);
      await handler(delivery);
    }, { concurrency });

  beforeEach(async () => {
    jest.useFakeTimers();
    backend = new InMemoryBackend();
    calls = new Recorder<string>();
    await backend.declareQueue({ name: 'q', visibilityTimeout: VISIBILITY_MS / 1000 });
  });

  afterEach(async () => {
    await backend.close();
    jest.useRealTimers();
  });

  it('calls a handler that runs three times the visibility timeout once, and the message is acked afterwards', async () => {
    const acked = new Recorder<string>();
    const handle = consume('q', async (delivery) => {
      await pause(3 * VISIBILITY_MS);
      await delivery.ack();
      acked.record(delivery.envelope.messageId);
    });

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(3 * VISIBILITY_MS);
    await acked.waitFor(1);
    // Acked means gone: a few more timeouts bring nothing back.
    await jest.advanceTimersByTimeAsync(3 * VISIBILITY_MS);

    expect(calls.items).toEqual(['1#1']);
    expect(backend.waitingIn('q')).toEqual([]);
    expect(backend.inFlightIn('q')).toBe(0);
    await handle.stop();
  });

  it('brings a message back one visibility timeout after a long handler settled without a decision', async () => {
    consume('q', async (delivery) => {
      if (delivery.receiveCount === 1) await pause(3 * VISIBILITY_MS);
      else await delivery.ack();
    });

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(3 * VISIBILITY_MS);
    await jest.advanceTimersByTimeAsync(VISIBILITY_MS - 1);
    expect(calls.items).toEqual(['1#1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(await calls.waitFor(2)).toEqual(['1#1', '1#2']);
  });

  it('brings a message back one visibility timeout after it was received when a short handler took no decision', async () => {
    consume('q', async (delivery) => {
      if (delivery.receiveCount === 1) await pause(VISIBILITY_MS / 2);
      else await delivery.ack();
    });

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(VISIBILITY_MS - 1);
    expect(calls.items).toEqual(['1#1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(await calls.waitFor(2)).toEqual(['1#1', '1#2']);
  });

  it('brings a message back after the retry delay when the handler retries it and runs on', async () => {
    consume('q', async (delivery) => {
      if (delivery.receiveCount > 1) return delivery.ack();
      await delivery.retry(100);
      await pause(3 * VISIBILITY_MS);
    });

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(99);
    expect(calls.items).toEqual(['1#1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(await calls.waitFor(2)).toEqual(['1#1', '1#2']);
  });

  it('keeps a retried message away for its whole delay, even one longer than the visibility timeout', async () => {
    consume('q', async (delivery) => {
      if (delivery.receiveCount === 1) await delivery.retry(2.5 * VISIBILITY_MS);
      else await delivery.ack();
    });

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(2.5 * VISIBILITY_MS - 1);
    expect(calls.items).toEqual(['1#1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(await calls.waitFor(2)).toEqual(['1#1', '1#2']);
  });

  it('holds back the rest of a FIFO group while a handler of the group outlives the visibility timeout', async () => {
    await backend.declareQueue({ name: 'q.fifo', fifo: true, visibilityTimeout: VISIBILITY_MS / 1000 });
    consume('q.fifo', async (delivery) => {
      if (delivery.envelope.messageId === 'a1') await pause(3 * VISIBILITY_MS);
      await delivery.ack();
    });

    await backend.send('q.fifo', envelope('a1'), { groupId: 'a' });
    await backend.send('q.fifo', envelope('a2'), { groupId: 'a' });
    await jest.advanceTimersByTimeAsync(3 * VISIBILITY_MS - 1);
    expect(calls.items).toEqual(['a1#1']);

    await jest.advanceTimersByTimeAsync(1);
    expect(await calls.waitFor(2)).toEqual(['a1#1', 'a2#1']);
  });

  it('lets the visibility timeout bring the message back once the backend closes under a handler that never settles', async () => {
    consume('q', () => new Promise<void>(() => undefined));

    await backend.send('q', envelope('1'));
    await jest.advanceTimersByTimeAsync(3 * VISIBILITY_MS);
    expect(backend.waitingIn('q')).toEqual([]);
    expect(backend.inFlightIn('q')).toBe(1);

    await backend.close();
    await jest.advanceTimersByTimeAsync(VISIBILITY_MS - 1);
    expect(backend.waitingIn('q')).toEqual([]);

    await jest.advanceTimersByTimeAsync(1);
    // Back in the queue for whoever consumes next; the abandoned consumer is not handed it again.
    expect(backend.waitingIn('q').map((e) => e.messageId)).toEqual(['1']);
    expect(calls.items).toEqual(['1#1']);
  });
});
