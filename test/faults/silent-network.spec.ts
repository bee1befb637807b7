// When the network goes silent (packets dropped, no reset: a dead host, a NAT or load balancer
// that forgot the connection), requests in progress are never answered. With the SDK's default
// socket timeout of 15 minutes the consumer hung that long, logging nothing; SqsBackend now gives
// its clients connection and socket timeouts, so the consumer recovers by itself.
import { CapturingLogger } from '../support/capturing-logger';
import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { FaultWork } from '../fixtures/fault-work';
import { CREDENTIALS, REGION, sleep, sqsEndpoint, uniqueName, waitFor } from '../support/sqs';
import { FaultPublisher, ids } from './fault-support';
import { FaultProxy } from './tcp-proxy';

const QUEUE = uniqueName('faults-silent');
const TOTAL = 600;

@Injectable()
@MessageConsumer({ queue: QUEUE, concurrency: 20 })
class SilentConsumer {
  readonly handled = new Set<string>();

  @OnMessage(FaultWork)
  async handle(work: FaultWork): Promise<void> {
    await sleep(15);
    this.handled.add(work.id);
  }
}

describe('a consumer whose network goes silent for a few seconds', () => {
  let proxy: FaultProxy;
  let publisher: FaultPublisher;
  let app: INestApplication | undefined;
  const log = new CapturingLogger();

  beforeAll(async () => {
    proxy = await FaultProxy.start(sqsEndpoint());
    publisher = await FaultPublisher.create([{ name: QUEUE, visibilityTimeout: 3 }]);
  });

  afterAll(async () => {
    // app.close() would hang on the stuck requests: destroy the proxy first, which resets them.
    await proxy?.close();
    await app?.close();
    await publisher?.close();
  });

  it('recovers once the network is back', async () => {
    await publisher.publishIds(QUEUE, ids(TOTAL, 's'));
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: {
            default: new SqsBackend({
              region: REGION,
              endpoint: proxy.endpoint,
              credentials: CREDENTIALS,
              waitTimeSeconds: 1,
              pollErrorBackoffMs: 250,
              logger: log,
            }),
          },
          autoCreate: false,
        }),
      ],
      providers: [SilentConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    const consumer = app.get(SilentConsumer);

    await waitFor(() => consumer.handled.size >= TOTAL / 4, 30_000, 'some messages handled before the network goes silent');
    proxy.blackhole();
    await sleep(3000);
    proxy.restore();
    try {
      // Requests stuck in the silence end at their socket timeout (10 s, poll wait + 5 s for polls);
      // acks lost with them come back after the visibility timeout.
      await waitFor(() => consumer.handled.size >= TOTAL, 40_000, `all ${TOTAL} handled after the network came back (got ${consumer.handled.size})`);
    } finally {
      console.log(`handled ${consumer.handled.size} of ${TOTAL}; backend log: ${JSON.stringify(log.lines)}`);
    }
    // Closing waits for deletes still in flight. Connections that went silent stay silent (as after
    // a NAT forgets them), so a delete sent on one ends only at the 10 s socket timeout and is then
    // retried on a fresh connection: closing is bounded by that, not by the 15-minute SDK default.
    const closing = app.close();
    app = undefined;
    expect(await Promise.race([closing.then(() => 'closed'), sleep(15_000).then(() => 'still closing after 15 s')])).toBe('closed');
  }, 90_000);
});
