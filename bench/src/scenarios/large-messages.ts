import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freshName, sqsClient } from '../aws';
import type { ServerScope, Sizes } from '../context';
import type { LargeMemoryJob, LargeMemoryReport } from '../large/large-memory-child';
import { freshBucket, makeDocument, melangeApp, rawConsume, rawSend, s3Client, type LargeDocument } from '../large/large-world';
import type { Contender, Metrics, Scenario } from '../runner';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Publishers calling at once, and the consumers' concurrency (the raw SDK: as many slots in pollers of 10). */
const CALLERS = 8;
const CONCURRENCY = 32;

interface Load {
  readonly label: string;
  readonly bytes: number;
  readonly offloaded: boolean;
  readonly count: number;
}

function loads(sizes: Sizes): Load[] {
  const quick = sizes.mode === 'quick';
  return [
    { label: '100 KiB', bytes: 100 * KiB, offloaded: false, count: quick ? 40 : 400 },
    { label: '900 KiB', bytes: 900 * KiB, offloaded: false, count: quick ? 10 : 100 },
    { label: '5 MiB offloaded to S3', bytes: 5 * MiB, offloaded: true, count: quick ? 6 : 40 },
  ];
}

/** Every large-message scenario, all under the id `large-messages`: one table per size, then memory. */
export function largeMessageScenarios(server: ServerScope, sizes: Sizes): Scenario[] {
  const rounds = sizes.mode === 'quick' ? 1 : 3;
  const throughput = loads(sizes).map(
    (load): Scenario => ({
      id: 'large-messages',
      title: `6. Large messages: ${load.label}, ${load.count} messages published, then consumed`,
      description:
        `Each run publishes ${load.count} messages of ${load.label} to a fresh queue from ${CALLERS} concurrent callers, then consumes them ` +
        `(nestjs-melange: concurrency ${CONCURRENCY}; the raw SDK: ${Math.ceil(CONCURRENCY / 10)} pollers of 10, a batch's messages in parallel). ` +
        (load.offloaded
          ? 'Offloaded: nestjs-melange with payloadOffloading; the raw SDK by hand, S3 PutObject then SendMessage of the pointer, and GetObject after receive. '
          : '') +
        'Rates from the first call to the last acknowledgement (publish) and from the first handler call to the last (consume), in the same process, one contender after the other.',
      rounds,
      warmup: sizes.mode !== 'quick',
      setUp: () => server.start(),
      tearDown: () => server.stop(),
      columns: [
        { key: 'publish', label: 'publish msg/s', digits: 1, spread: true, ratio: true },
        { key: 'consume', label: 'consume msg/s', digits: 1, spread: true, ratio: true },
        { key: 'publishMBs', label: 'publish MB/s', digits: 0 },
      ],
      contenders: [contender(server, load, 'raw'), contender(server, load, 'melange')],
    }),
  );
  // The memory runs start Node processes of their own, which takes longer than CI's smoke test should.
  return sizes.mode === 'quick' ? throughput : [...throughput, memoryScenario(server, sizes)];
}

function contender(server: ServerScope, load: Load, kind: 'raw' | 'melange'): Contender {
  return {
    name: kind === 'raw' ? 'raw SDK' : 'nestjs-melange',
    settings: kind === 'raw' ? (load.offloaded ? 'PutObject + SendMessage; GetObject' : 'SendMessage; Receive + DeleteMessageBatch') : `concurrency ${CONCURRENCY}${load.offloaded ? ', payloadOffloading' : ''}`,
    baseline: kind === 'raw',
    run: () => throughputRun(server, load, kind),
  };
}

async function throughputRun(server: ServerScope, load: Load, kind: 'raw' | 'melange'): Promise<Metrics> {
  const endpoint = server.endpoint;
  const queue = freshName('large');
  const queueUrl = await server.admin.createQueue(queue, 120);
  const sqs = sqsClient(endpoint);
  const s3 = s3Client(endpoint);
  const bucket = load.offloaded ? await freshBucket(s3) : undefined;
  const offloading = bucket ? { bucket } : undefined;
  const documents = Array.from({ length: load.count }, (_, index) => makeDocument(index, load.bytes));
  try {
    const publisher = kind === 'melange' ? await melangeApp(endpoint, offloading) : undefined;
    const publishStart = performance.now();
    await inParallel(CALLERS, documents, (document) =>
      publisher ? publisher.publisher.publish(document, { queue }).then(() => undefined) : rawSend(sqs, s3, queueUrl, document, bucket),
    );
    const publishMs = performance.now() - publishStart;
    await publisher?.app.close();

    let handled = 0;
    let firstAt = 0;
    let lastAt = 0;
    const handle = async (document: LargeDocument): Promise<void> => {
      if (document.blob.length === 0) throw new Error('empty document');
      firstAt ||= performance.now();
      lastAt = performance.now();
      handled++;
    };
    const consumer = kind === 'melange'
      ? await melangeApp(endpoint, offloading, { queue, concurrency: CONCURRENCY, handle })
      : rawConsume(sqs, s3, queueUrl, Math.ceil(CONCURRENCY / 10), handle);
    const deadline = Date.now() + 120_000;
    while (handled < load.count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    await ('app' in consumer ? consumer.app.close() : consumer.stop());
    const consumeMs = Math.max(lastAt - firstAt, 1);
    return {
      publish: (load.count / publishMs) * 1000,
      consume: handled > 1 ? ((handled - 1) / consumeMs) * 1000 : Number.NaN,
      publishMBs: ((load.count * load.bytes) / MiB / publishMs) * 1000,
      missing: load.count - handled,
      leftover: await server.admin.remaining(queueUrl),
    };
  } finally {
    await server.admin.deleteQueue(queueUrl);
    sqs.destroy();
    s3.destroy();
  }
}

async function inParallel<T>(callers: number, items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function memoryScenario(server: ServerScope, sizes: Sizes): Scenario {
  // The quick run only checks that the scenario works: a few messages held, not 32.
  const concurrency = sizes.mode === 'quick' ? 4 : CONCURRENCY;
  const count = sizes.mode === 'quick' ? concurrency : concurrency * 2;
  const run = (contender: LargeMemoryJob['contender']) => (): Promise<Metrics> =>
    memoryRun({ contender, endpoint: server.endpoint, count, concurrency, bytes: 5 * MiB });
  return {
    id: 'large-messages',
    title: `6d. Large messages: memory per in-flight 5 MiB offloaded message, ${concurrency} held by handlers`,
    description:
      `A fresh process (--expose-gc) fills a queue with ${count} offloaded 5 MiB messages, then starts a consumer whose handlers keep the ` +
      `message and wait until ${concurrency} are in flight. Per message: (RSS, and heapUsed + external) after a full GC, minus the same before ` +
      'the consumer started, over the messages held. The handler keeps its 5 MiB document, so about 5 MB per message is the floor.',
    rounds: 1,
    warmup: false,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: [
      { key: 'held', label: 'messages held', digits: 0 },
      { key: 'heapPerMessage', label: 'heap + external MB per message', digits: 1, ratio: true },
      { key: 'rssPerMessage', label: 'RSS MB per message', digits: 1, ratio: true },
    ],
    contenders: [
      { name: 'raw SDK', settings: `${Math.ceil(concurrency / 10)} poller(s) × 10, GetObject + transformToString`, baseline: true, run: run('raw') },
      { name: 'nestjs-melange', settings: `concurrency ${concurrency}, payloadOffloading`, run: run('melange') },
    ],
  };
}

function memoryRun(job: LargeMemoryJob): Promise<Metrics> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'large', 'large-memory-child.ts'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`large-memory child exited with ${code}: ${out.slice(-500)}`));
      const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as LargeMemoryReport;
      resolve({ held: report.held, heapPerMessage: report.heapPerMessageMb, rssPerMessage: report.rssPerMessageMb });
    });
  });
}
