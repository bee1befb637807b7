import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freshName } from '../aws';
import type { ServerScope, Sizes } from '../context';
import type { MemoryJob, MemoryReport } from '../memory-child';
import type { Contender, Metrics, Scenario } from '../runner';

export function memoryScenario(server: ServerScope, sizes: Sizes): Scenario {
  const contender = (name: string, settings: string, kind: MemoryJob['contender'], baseline = false): Contender => ({
    name,
    settings,
    baseline,
    run: () => memoryRun(server, sizes, kind),
  });
  const perPoll = Math.ceil(sizes.memoryConcurrency / 10);
  return {
    id: 'memory',
    title: `5. Memory: a ${sizes.memory.toLocaleString('en-US')}-message backlog through a ${sizes.memoryHandlerMs} ms handler at concurrency ${sizes.memoryConcurrency}`,
    description:
      `Each run fills a fresh queue with ${sizes.memory.toLocaleString('en-US')} messages, then starts the contender in a new Node process ` +
      `(so its RSS is its own) whose handler waits ${sizes.memoryHandlerMs} ms. process.memoryUsage() is sampled every 25 ms. ` +
      'RSS columns: when the first message is handled (right after a forced full GC, --expose-gc), when half and all were ' +
      'handled, and the peak; growth = RSS at the end minus RSS at the first message. Live heap = heapUsed right after a forced full GC at the first message and at ' +
      'the end: what the process really keeps, as RSS and heap peaks also count garbage not yet collected. Flat means the live ' +
      'heap does not grow with the number of messages drained.',
    rounds: sizes.memoryRounds,
    warmup: false,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    ratioLabel: '× raw',
    columns: [
      { key: 'rssFirst', label: 'RSS at first msg MB', digits: 0 },
      { key: 'rssHalf', label: 'at 50 % MB', digits: 0 },
      { key: 'rssEnd', label: 'at end MB', digits: 0 },
      { key: 'rssPeak', label: 'peak MB', digits: 0, spread: true, ratio: true },
      { key: 'growth', label: 'growth MB', digits: 1 },
      { key: 'heapPeak', label: 'heap peak MB', digits: 0 },
      { key: 'liveFirst', label: 'live heap at first msg MB', digits: 1 },
      { key: 'liveEnd', label: 'live heap at end MB', digits: 1 },
      { key: 'rate', label: 'msg/s', digits: 0 },
    ],
    contenders: [
      contender('raw SDK', `${perPoll} pollers × 10, handlers of a batch in parallel`, 'raw', true),
      contender('nestjs-melange', `@MessageConsumer({ queue, concurrency: ${sizes.memoryConcurrency} })`, 'melange'),
    ],
  };
}

async function memoryRun(server: ServerScope, sizes: Sizes, contender: MemoryJob['contender']): Promise<Metrics> {
  const queueName = freshName('memory');
  const queueUrl = await server.admin.createQueue(queueName);
  try {
    await server.admin.fill(queueUrl, sizes.memory, contender === 'melange' ? 'melange' : 'raw');
    const job: MemoryJob = {
      contender,
      endpoint: server.endpoint,
      queueName,
      queueUrl,
      count: sizes.memory,
      concurrency: sizes.memoryConcurrency,
      handlerMs: sizes.memoryHandlerMs,
    };
    const report = await runChild(job);
    const [first = NaN, , half = NaN, , end = NaN] = report.rssAtMb;
    const heapFirst = report.heapAfterGcAtMb[0] ?? NaN;
    const heapEnd = report.heapAfterGcAtMb[1] ?? NaN;
    return {
      rssFirst: first,
      rssHalf: half,
      rssEnd: end,
      rssPeak: report.rssPeakMb,
      growth: end - first,
      heapPeak: report.heapPeakMb,
      liveFirst: heapFirst,
      liveEnd: heapEnd,
      liveGrowth: heapEnd - heapFirst,
      rate: report.rate,
      leftover: await server.admin.remaining(queueUrl),
    };
  } finally {
    await server.admin.deleteQueue(queueUrl);
  }
}

function runChild(job: MemoryJob): Promise<MemoryReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', join(__dirname, '..', 'memory-child.ts'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`memory child exited with ${code}: ${out.slice(-500)}`));
      try {
        resolve(JSON.parse(line) as MemoryReport);
      } catch {
        reject(new Error(`memory child printed no report: ${out.slice(-500)}`));
      }
    });
  });
}
