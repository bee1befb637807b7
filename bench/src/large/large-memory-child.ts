/*
 * One memory run of the large-message scenario, in a process of its own (--expose-gc): fills a
 * queue with offloaded 5 MiB messages, lets a consumer take `concurrency` of them into handlers
 * that wait, and measures what the process holds then, per message in flight.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import 'reflect-metadata';
import { Admin, sqsClient } from '../aws';
import { deferred } from './deferred';
import { freshBucket, makeDocument, melangeApp, rawConsume, rawSend, s3Client, type LargeDocument } from './large-world';

export interface LargeMemoryJob {
  readonly contender: 'raw' | 'melange';
  readonly endpoint: string;
  readonly count: number;
  readonly concurrency: number;
  readonly bytes: number;
}

export interface LargeMemoryReport {
  readonly held: number;
  /** MB per message in flight, over the process before the consumer started (both after a full GC). */
  readonly rssPerMessageMb: number;
  readonly heapPerMessageMb: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const MB = 1024 * 1024;

async function main(job: LargeMemoryJob): Promise<void> {
  const admin = new Admin(job.endpoint);
  const sqs = sqsClient(job.endpoint);
  const s3 = s3Client(job.endpoint);
  const queue = `large-memory-${process.pid}`;
  const queueUrl = await admin.createQueue(queue, 300);
  const bucket = await freshBucket(s3);
  const melange = job.contender === 'melange' ? await melangeApp(job.endpoint, { bucket }) : undefined;
  for (let index = 0; index < job.count; index++) {
    if (melange) await melange.publisher.publish(makeDocument(index, job.bytes), { queue });
    else await rawSend(sqs, s3, queueUrl, makeDocument(index, job.bytes), bucket);
  }
  await melange?.app.close();

  const gate = deferred();
  const kept: LargeDocument[] = [];
  let handled = 0;
  const handle = async (document: LargeDocument): Promise<void> => {
    kept.push(document);
    await gate.promise;
    handled++;
  };
  gc();
  gc();
  const before = process.memoryUsage();
  const consumer = melange
    ? await melangeApp(job.endpoint, { bucket }, { queue, concurrency: job.concurrency, handle })
    : rawConsume(sqs, s3, queueUrl, Math.ceil(job.concurrency / 10), handle);
  while (kept.length < job.concurrency) await new Promise((resolve) => setTimeout(resolve, 20));
  // Whatever is still arriving settles; then only what is really held counts.
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  gc();
  const during = process.memoryUsage();
  const held = kept.length;
  gate.resolve();
  while (handled < job.count) await new Promise((resolve) => setTimeout(resolve, 20));
  await ('app' in consumer ? consumer.app.close() : consumer.stop());
  await admin.deleteQueue(queueUrl);
  admin.close();
  sqs.destroy();
  s3.destroy();
  const heap = (usage: NodeJS.MemoryUsage): number => usage.heapUsed + usage.external;
  const report: LargeMemoryReport = {
    held,
    rssPerMessageMb: (during.rss - before.rss) / held / MB,
    heapPerMessageMb: (heap(during) - heap(before)) / held / MB,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main(JSON.parse(process.argv[2] ?? '{}') as LargeMemoryJob).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
