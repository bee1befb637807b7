import { TcpProxy } from '../support/tcp-proxy';
import { BackendFactory, DeliveryRecorder, envelope, sqsEndpoint, uniqueName, waitFor } from '../support/sqs';

const QUEUES = 7;
/** 10 pollers per queue: 70 long polls at once, more than the SDK agent's default 50 sockets. */
const CONCURRENCY = 100;
const POLLERS = QUEUES * (CONCURRENCY / 10);

/**
 * A poll that waits for a socket is no poll: its queue is not read, and after the connection
 * timeout it fails. The connections through a proxy show how many polls are on the wire.
 */
describe('a backend long-polling more queues than the HTTP agent has sockets by default', () => {
  const factory = new BackendFactory();
  const proxy = TcpProxy.forUrl(sqsEndpoint());
  beforeAll(() => proxy.up());
  afterAll(async () => {
    await factory.closeAll();
    await proxy.down();
  });

  it('has every poll on the wire at once, and each queue receives', async () => {
    const backend = factory.create({ endpoint: proxy.url, waitTimeSeconds: 20 });
    const queues = Array.from({ length: QUEUES }, (_, index) => uniqueName(`many-pollers-${index}`));
    for (const queue of queues) await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder();
    const handles = queues.map((queue) => backend.consume(queue, recorder.handler, { concurrency: CONCURRENCY }));

    await waitFor(() => proxy.openConnections >= POLLERS, 5_000, `${POLLERS} connections for ${POLLERS} long polls`);
    for (const queue of queues) await backend.send(queue, envelope());
    await recorder.waitForCount(QUEUES, 5_000);
    await Promise.all(handles.map((handle) => handle.stop()));

    expect(new Set(recorder.deliveries.map((delivery) => delivery.queue))).toEqual(new Set(queues));
    expect(handles.map((handle) => handle.status().failing)).toEqual(queues.map(() => false));
  }, 30_000);
});
