// consumers.shutdownTimeoutMs bounds shutdown: once it runs out, the backend abandons the
// consumers still draining instead of waiting for their handlers, whose messages come back after
// the visibility timeout. (It used to wait for the slowest handler: 8 s here, not 1.5 s.)
import { sleep, uniqueName, waitFor } from '../support/sqs';
import { ConsumerProcess, FaultPublisher, ids } from './fault-support';

const SHUTDOWN_TIMEOUT_MS = 1500;
const HANDLER_MS = 8000;

describe('a handler that outlives consumers.shutdownTimeoutMs', () => {
  const queue = uniqueName('faults-shutdown-timeout');
  let publisher: FaultPublisher;
  let child: ConsumerProcess | undefined;

  beforeAll(async () => {
    publisher = await FaultPublisher.create([{ name: queue, visibilityTimeout: 30 }]);
  });

  afterAll(async () => {
    await child?.stopNow();
    await publisher?.close();
  });

  it('does not keep the process alive past the timeout', async () => {
    await publisher.publishIds(queue, ids(2, 't'));
    child = new ConsumerProcess('consumer', {
      FAULT_QUEUE: queue,
      FAULT_CONCURRENCY: '2',
      FAULT_HANDLER_MS: String(HANDLER_MS),
      FAULT_PRINT_HANDLERS: '1',
      FAULT_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    await waitFor(() => child!.lines.filter((line) => line.startsWith('start ')).length >= 2, 20_000, 'two handlers to start');
    await sleep(200);
    const signalledAt = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    console.log(`exited by ${exit.signal ?? exit.code} ${exit.at - signalledAt} ms after SIGTERM; output:\n${child.lines.join('\n')}`);

    // Today: ~8000 ms, with 'done' lines after the "closing anyway" warning.
    expect(exit.at - signalledAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 2500);
  }, 60_000);
});
