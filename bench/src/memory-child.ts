/*
 * Scenario 5's contender, in a process of its own so its RSS is its own: drains a queue the parent
 * filled through a slow handler, sampling process.memoryUsage() all along, and prints one JSON line.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { startMelangeApp } from './apps';
import { sqsClient } from './aws';
import { orderFromJson, type OrderPlaced } from './message';
import { Progress } from './progress';
import { startRawConsumer } from './raw-consumer';
import { sleep } from './stats';

export interface MemoryJob {
  readonly contender: 'melange' | 'raw';
  readonly endpoint: string;
  readonly queueName: string;
  readonly queueUrl: string;
  readonly count: number;
  readonly concurrency: number;
  readonly handlerMs: number;
}

export interface MemoryReport {
  readonly rssBeforeMb: number;
  /** At the first message handled (after a full GC), and when a quarter, half, three quarters and all were handled. */
  readonly rssAtMb: readonly number[];
  readonly rssPeakMb: number;
  /** heapUsed right after a full GC at the first message and at the end: what is really kept alive. */
  readonly heapAfterGcAtMb: readonly number[];
  readonly heapPeakMb: number;
  readonly heapEndMb: number;
  readonly rate: number;
  readonly handled: number;
  readonly samples: number;
}

const mb = (bytes: number): number => bytes / (1024 * 1024);

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as MemoryJob;
  const progress = new Progress(job.count);
  const onOrder = async (order: OrderPlaced): Promise<void> => {
    await sleep(job.handlerMs);
    if (order.total > 0) progress.tick();
  };
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  let heapPeak = process.memoryUsage().heapUsed;
  let samples = 0;
  const checkpoints = [1, job.count / 4, job.count / 2, (3 * job.count) / 4, job.count].map(Math.round);
  const rssAt: number[] = [];
  const heapAfterGcAt: number[] = [];
  const sample = (): void => {
    const usage = process.memoryUsage();
    samples++;
    rssPeak = Math.max(rssPeak, usage.rss);
    heapPeak = Math.max(heapPeak, usage.heapUsed);
    while (rssAt.length < checkpoints.length && progress.count >= checkpoints[rssAt.length]!) {
      const index = rssAt.length;
      if (index === 0) {
        // The reference point: start-up garbage collected, so growth from here is the drain's.
        global.gc?.();
        const clean = process.memoryUsage();
        rssAt.push(clean.rss);
        heapAfterGcAt.push(clean.heapUsed);
      } else {
        rssAt.push(usage.rss);
        if (index === checkpoints.length - 1) {
          global.gc?.();
          heapAfterGcAt.push(process.memoryUsage().heapUsed);
        }
      }
    }
  };
  const sampler = setInterval(sample, 25);
  let stop: () => Promise<void>;
  if (job.contender === 'melange') {
    const { app } = await startMelangeApp({ endpoint: job.endpoint, queue: job.queueName, concurrency: job.concurrency, onOrder });
    stop = () => app.close();
  } else {
    const client = sqsClient(job.endpoint);
    const consumer = startRawConsumer({
      client,
      queueUrl: job.queueUrl,
      pollers: Math.ceil(job.concurrency / 10),
      handle: (message) => onOrder(orderFromJson(message.Body!)),
    });
    stop = async () => {
      await consumer.stop();
      client.destroy();
    };
  }
  await progress.finish(10 * 60_000);
  sample();
  clearInterval(sampler);
  const heapEnd = process.memoryUsage().heapUsed;
  await stop();
  const report: MemoryReport = {
    rssBeforeMb: mb(rssBefore),
    rssAtMb: rssAt.map(mb),
    rssPeakMb: mb(rssPeak),
    heapAfterGcAtMb: heapAfterGcAt.map(mb),
    heapPeakMb: mb(heapPeak),
    heapEndMb: mb(heapEnd),
    rate: progress.rate(),
    handled: progress.count,
    samples,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
