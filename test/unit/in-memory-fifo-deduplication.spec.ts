import { InMemoryBackend, type Envelope } from '../../lib';

/** SQS's de-duplication window, which the in-memory backend copies. */
const WINDOW_MS = 5 * 60 * 1000;
const SENDS = 20_000;

// Taken before any spec fakes the clock, so the timings printed below are wall-clock time.
const wallClock = performance.now.bind(performance);

function envelope(id: string, payload = JSON.stringify({ id })): Envelope {
  return { payload, manifest: 'test.message', serializerId: 1, messageId: id, attributes: {} };
}

describe('FIFO de-duplication on the in-memory backend', () => {
  let backend: InMemoryBackend;

  const send = (messageId: string, deduplicationId: string) =>
    backend.send('d.fifo', envelope(messageId), { groupId: 'g', deduplicationId });
  const waitingIds = () => backend.waitingIn('d.fifo').map((e) => e.messageId);

  beforeEach(async () => {
    // The window is five minutes: a fake clock crosses it without waiting.
    jest.useFakeTimers();
    backend = new InMemoryBackend();
    await backend.declareQueue({ name: 'd.fifo', fifo: true });
  });

  afterEach(async () => {
    await backend.close();
    jest.useRealTimers();
  });

  it('drops a duplicate sent within the window', async () => {
    await send('1', 'same');
    jest.advanceTimersByTime(WINDOW_MS - 1);
    await send('2', 'same');

    expect(waitingIds()).toEqual(['1']);
  });

  it('accepts the same id after the window, and then drops it again for a new window', async () => {
    await send('1', 'same');
    jest.advanceTimersByTime(WINDOW_MS + 1);
    await send('2', 'same');
    jest.advanceTimersByTime(WINDOW_MS - 1);
    await send('3', 'same');

    expect(waitingIds()).toEqual(['1', '2']);
  });

  it('expires each id a window after it was first seen, not all at once', async () => {
    await send('1', 'early');
    jest.advanceTimersByTime(WINDOW_MS / 2);
    await send('2', 'late');
    jest.advanceTimersByTime(WINDOW_MS / 2 + 1);
    // 'early' is out of its window, 'late' half-way through its own.
    await send('3', 'early');
    await send('4', 'late');

    expect(waitingIds()).toEqual(['1', '2', '3']);
  });

  it('de-duplicates by body when the queue has contentBasedDeduplication', async () => {
    await backend.declareQueue({ name: 'c.fifo', fifo: true, contentBasedDeduplication: true });

    await backend.send('c.fifo', envelope('1', 'same body'), { groupId: 'g' });
    await backend.send('c.fifo', envelope('2', 'same body'), { groupId: 'g' });
    await backend.send('c.fifo', envelope('3', 'other body'), { groupId: 'g' });

    expect(backend.waitingIn('c.fifo').map((e) => e.messageId)).toEqual(['1', '3']);
  });

  describe('timings (printed, not asserted)', () => {
    it(`sends ${SENDS} distinct ids within one window`, async () => {
      const startedAt = wallClock();
      for (let i = 0; i < SENDS; i++) await send(String(i), `id-${i}`);
      const tookMs = wallClock() - startedAt;

      console.log(`${SENDS} FIFO sends with distinct de-duplication ids: ${tookMs.toFixed(0)} ms`);
      expect(waitingIds()).toHaveLength(SENDS);
    });

    it(`sends ${SENDS} distinct ids while older ones keep expiring (a window of ${SENDS / 2} ids)`, async () => {
      const step = WINDOW_MS / (SENDS / 2);
      const startedAt = wallClock();
      for (let i = 0; i < SENDS; i++) {
        await send(String(i), `id-${i}`);
        jest.advanceTimersByTime(step);
      }
      const tookMs = wallClock() - startedAt;

      console.log(`${SENDS} FIFO sends, one id expiring per send: ${tookMs.toFixed(0)} ms`);
      expect(waitingIds()).toHaveLength(SENDS);
    });
  });
});
