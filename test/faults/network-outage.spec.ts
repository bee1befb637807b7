import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { FaultWork } from '../fixtures/fault-work';
import { CapturingLogger } from '../support/capturing-logger';
import { CREDENTIALS, REGION, sleep, sqsEndpoint, uniqueName, waitFor } from '../support/sqs';
import { FaultPublisher, ids, tally } from './fault-support';
import { FaultProxy } from './tcp-proxy';

const QUEUE = uniqueName('faults-outage');
const TOTAL = 600;
const CONCURRENCY = 20;
/** SqsConsumer runs one poller per 10 slots. */
const POLLERS = Math.ceil(CONCURRENCY / 10);
const OUTAGE_MS = 3000;

@Injectable()
@MessageConsumer({ queue: QUEUE, concurrency: CONCURRENCY })
class OutageConsumer {
  readonly handled: string[] = [];

  @OnMessage(FaultWork)
  async handle(work: FaultWork): Promise<void> {
    await sleep(10 + Math.random() * 10);
    this.handled.push(work.id);
  }
}

describe('a consumer whose connection to SQS drops for a few seconds', () => {
  let proxy: FaultProxy;
  let publisher: FaultPublisher;
  let app: INestApplication | undefined;
  const backendLog = new CapturingLogger();
  const appLog = new CapturingLogger();

  beforeAll(async () => {
    proxy = await FaultProxy.start(sqsEndpoint());
    publisher = await FaultPublisher.create([{ name: QUEUE, visibilityTimeout: 3 }]);
  });

  afterAll(async () => {
    await app?.close();
    await publisher?.close();
    await proxy?.close();
  });

  it('recovers by itself, handles every message, and logs the outage once per poller', async () => {
    const expected = ids(TOTAL, 'n');
    await publisher.publishIds(QUEUE, expected);

    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: {
            default: new SqsBackend({
              region: REGION,
              endpoint: proxy.endpoint, // every request of the consumer goes through the proxy
              credentials: CREDENTIALS,
              waitTimeSeconds: 1,
              pollErrorBackoffMs: 250,
              logger: backendLog,
            }),
          },
          autoCreate: false,
          consumers: { concurrency: CONCURRENCY, shutdownTimeoutMs: 10_000, retry: { maxAttempts: 10, initialDelayMs: 200 } },
        }),
      ],
      providers: [OutageConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: appLog }).init();
    const consumer = app.get(OutageConsumer);
    const distinct = (): number => new Set(consumer.handled).size;

    await waitFor(() => distinct() >= TOTAL / 4, 30_000, `${TOTAL / 4} messages handled before the outage (got ${distinct()})`);
    const atCut = distinct();
    proxy.cut();
    await sleep(OUTAGE_MS);
    const atRestore = distinct();
    proxy.restore();
    const restoredAt = Date.now();

    await waitFor(() => distinct() >= TOTAL, 45_000, `all ${TOTAL} messages handled after the outage (got ${distinct()})`);
    const doneAfterMs = Date.now() - restoredAt;
    const failedLines = (): Array<{ level: string; message: string }> => backendLog.lines.filter((line) => /receiving failed/.test(line.message));
    const recoveredLines = (): string[] => backendLog.lines.filter((line) => /receiving works again/.test(line.message)).map((line) => line.message);
    // A poller that was waiting for free slots through the outage has nothing to recover from; one that failed says when it works again.
    await waitFor(() => recoveredLines().length >= failedLines().length, 10_000, 'every failed poller to report its recovery');

    const closingAt = Date.now();
    await app.close();
    app = undefined;
    const closeMs = Date.now() - closingAt;

    const counts = tally(consumer.handled);
    const failedAttempts = recoveredLines().map((line) => Number(/after (\d+) failed attempt/.exec(line)?.[1]));
    const errors = [...backendLog.lines.filter((line) => line.level === 'error'), ...appLog.lines.filter((line) => line.level === 'error')];
    const ackFailures = [...appLog.lines, ...backendLog.lines].filter((line) => /could not be acknowledged/.test(line.message)).length;
    console.log(
      [
        `outage of ${OUTAGE_MS} ms after ${atCut}/${TOTAL} handled (${atRestore} when it ended; ${proxy.refused} connections reset while down)`,
        `all handled ${doneAfterMs} ms after the network came back; app.close() took ${closeMs} ms`,
        `${[...counts.values()].filter((count) => count > 1).length} handled more than once`,
        `receive-failure lines: ${failedLines().length} (pollers: ${POLLERS}); recoveries: ${JSON.stringify(recoveredLines())}`,
        `error lines in all: ${errors.length}; warnings about acks that failed during the outage: ${ackFailures}`,
        ...errors.filter((line) => !/could not be acknowledged|receiving failed/.test(line.message)).map((line) => `other error: ${line.message}`),
      ].join('\n'),
    );

    if (process.env.FAULT_DUMP_LOGS) {
      // FAULT_DUMP_LOGS=1 npx jest test/faults/network-outage.spec.ts: every line the consumer logged.
      console.log([...backendLog.lines, ...appLog.lines].map((line) => `${line.level}: ${line.message}`).join('\n'));
    }
    // Mid-run: work was left when the network went and when it came back.
    expect(atRestore).toBeLessThan(TOTAL);
    expect(expected.filter((id) => !counts.has(id))).toEqual([]);
    // Once per queue per outage, at error level, however many pollers meet it...
    expect(failedLines()).toHaveLength(1);
    expect(failedLines().every((line) => line.level === 'error')).toBe(true);
    // ...though the pollers tried several times, with backoff, before they got through.
    expect(recoveredLines()).toHaveLength(1);
    expect(Math.max(...failedAttempts)).toBeGreaterThanOrEqual(2);
    // With a 3 s outage and backoff 250, 500, 1000, 2000 ms, each poller is back within a few
    // seconds; the count is the queue's, over all its pollers.
    expect(Math.max(...failedAttempts)).toBeLessThanOrEqual(8 * POLLERS);
  }, 90_000);
});
