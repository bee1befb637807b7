import { InMemoryBackend, type Delivery, type DeliveryHandler, type Envelope } from '../../lib';
import { Recorder, waitFor } from '../support/recorder';

function envelope(id: string, manifest = 'test.message'): Envelope {
  return { payload: JSON.stringify({ id }), manifest, serializerId: 1, messageId: id, attributes: {} };
}

describe('InMemoryBackend', () => {
  let backend: InMemoryBackend;

  beforeEach(() => {
    backend = new InMemoryBackend();
  });

  afterEach(() => backend.close());

  it('keeps one queue per name', async () => {
    await backend.send('a', envelope('1'));
    await backend.send('b', envelope('2'));

    expect(backend.waitingIn('a').map((e) => e.messageId)).toEqual(['1']);
    expect(backend.waitingIn('b').map((e) => e.messageId)).toEqual(['2']);
  });

  it('fans a topic out to every subscribed queue, honouring manifest filters', async () => {
    await backend.declareSubscription({ topic: 'orders', queue: 'billing' });
    await backend.declareSubscription({ topic: 'orders', queue: 'shipping', manifests: ['orders.shipped'] });

    await backend.publish('orders', envelope('1', 'orders.placed'));
    await backend.publish('orders', envelope('2', 'orders.shipped'));

    expect(backend.waitingIn('billing').map((e) => e.messageId)).toEqual(['1', '2']);
    expect(backend.waitingIn('shipping').map((e) => e.messageId)).toEqual(['2']);
  });

  it('delivers a message again, with a higher receive count, when it is not acked in time', async () => {
    await backend.declareQueue({ name: 'q', visibilityTimeout: 0.05 });
    const receives = new Recorder<number>();
    const handle = backend.consume(
      'q',
      async (delivery: Delivery) => {
        receives.record(delivery.receiveCount);
        if (delivery.receiveCount === 3) await delivery.ack();
      },
      { concurrency: 1 },
    );

    await backend.send('q', envelope('1'));

    expect(await receives.waitFor(3)).toEqual([1, 2, 3]);
    await handle.stop();
    expect(backend.waitingIn('q')).toEqual([]);
    expect(backend.inFlightIn('q')).toBe(0);
  });

  it('redelivers after retry(delay) and moves the message to the dead-letter queue after maxReceiveCount', async () => {
    await backend.declareQueue({ name: 'q', deadLetterQueue: 'q-dlq', maxReceiveCount: 2 });
    const receives = new Recorder<number>();
    const handle = backend.consume(
      'q',
      async (delivery) => {
        receives.record(delivery.receiveCount);
        await delivery.retry(10);
      },
      { concurrency: 1 },
    );

    await backend.send('q', envelope('1'));
    await receives.waitFor(2);
    await waitFor(() => backend.waitingIn('q-dlq').length === 1, 5000, 'the redrive to q-dlq');
    await handle.stop();

    expect(receives.items).toEqual([1, 2]);
    const [dead] = backend.waitingIn('q-dlq');
    expect(dead.messageId).toBe('1');
    expect(dead.attributes).toMatchObject({ melange_source_queue: 'q', melange_dead_letter_reason: 'maxReceiveCount exceeded' });
  });

  it('deadLetter() moves a message at once, or answers false without a dead-letter queue', async () => {
    await backend.declareQueue({ name: 'with-dlq', deadLetterQueue: 'dlq' });
    const outcomes = new Recorder<boolean>();
    const handles = ['with-dlq', 'without-dlq'].map((queue) =>
      backend.consume(queue, async (delivery) => outcomes.record(await delivery.deadLetter('bad body')), { concurrency: 1 }),
    );

    await backend.send('with-dlq', envelope('1'));
    await outcomes.waitFor(1);
    await backend.send('without-dlq', envelope('2'));
    await outcomes.waitFor(2);
    await Promise.all(handles.map((handle) => handle.stop()));

    expect(outcomes.items).toEqual([true, false]);
    expect(backend.waitingIn('dlq')[0].attributes.melange_dead_letter_reason).toBe('bad body');
    expect(backend.inFlightIn('without-dlq')).toBe(1);
  });

  it('goes on consuming when a handler throws before returning its promise', async () => {
    await backend.declareQueue({ name: 'q', visibilityTimeout: 0.05 });
    const receives = new Recorder<number>();
    const handler: DeliveryHandler = (delivery) => {
      receives.record(delivery.receiveCount);
      if (delivery.receiveCount === 1) throw new Error('thrown, not rejected');
      return delivery.ack();
    };
    const handle = backend.consume('q', handler, { concurrency: 1 });

    await backend.send('q', envelope('1'));

    expect(await receives.waitFor(2)).toEqual([1, 2]);
    await handle.stop();
    expect(backend.inFlightIn('q')).toBe(0);
  });

  it('never has more messages in flight than the concurrency', async () => {
    let inFlight = 0;
    let most = 0;
    const done = new Recorder<string>();
    const handle = backend.consume(
      'q',
      async (delivery) => {
        most = Math.max(most, ++inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inFlight--;
        await delivery.ack();
        done.record(delivery.envelope.messageId);
      },
      { concurrency: 3 },
    );

    for (let i = 0; i < 20; i++) await backend.send('q', envelope(String(i)));
    await done.waitFor(20);
    await handle.stop();

    expect(most).toBe(3);
  });

  it('handles one message per FIFO group at a time, in order', async () => {
    await backend.declareQueue({ name: 'q.fifo', fifo: true });
    const order = new Recorder<string>();
    const handle = backend.consume(
      'q.fifo',
      async (delivery) => {
        const { id } = JSON.parse(delivery.envelope.payload) as { id: string };
        await new Promise((resolve) => setTimeout(resolve, id.endsWith('1') ? 20 : 1));
        order.record(`${delivery.groupId}:${id}`);
        await delivery.ack();
      },
      { concurrency: 10 },
    );

    for (const group of ['a', 'b']) {
      for (const n of [1, 2, 3]) await backend.send('q.fifo', envelope(`${group}${n}`), { groupId: group });
    }
    const seen = await order.waitFor(6);
    await handle.stop();

    expect(seen.filter((entry) => entry.startsWith('a:'))).toEqual(['a:a1', 'a:a2', 'a:a3']);
    expect(seen.filter((entry) => entry.startsWith('b:'))).toEqual(['b:b1', 'b:b2', 'b:b3']);
  });

  it('drops a FIFO duplicate within the deduplication window', async () => {
    await backend.declareQueue({ name: 'd.fifo', fifo: true });

    await backend.send('d.fifo', envelope('1'), { groupId: 'g', deduplicationId: 'same' });
    await backend.send('d.fifo', envelope('2'), { groupId: 'g', deduplicationId: 'same' });

    expect(backend.waitingIn('d.fifo').map((e) => e.messageId)).toEqual(['1']);
  });
});
