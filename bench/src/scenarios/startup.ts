import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import ts from 'typescript';
import { SqsBackend } from '../../../lib';
import { CREDENTIALS, REGION, freshName } from '../aws';
import type { ServerScope, Sizes } from '../context';
import type { Contender, Metrics, Scenario } from '../runner';
import type { StartupJob, StartupReport } from '../startup-child';

const ROOT = join(__dirname, '..', '..', '..');
const HANDLER_COUNTS = [1, 20, 200] as const;
/** Handlers spread over at most this many queues: 200 handlers are 10 per queue. */
const MAX_QUEUES = 20;

/**
 * The library and the child script as the JavaScript `tsc` emits for them (the root tsconfig's
 * options, one file at a time, as ts-node's transpile-only mode and the bench do), in a directory
 * of its own whose node_modules is the root's: the child then resolves Nest and the AWS SDK exactly
 * as the library would in an application, and loads no TypeScript compiler.
 */
class Build {
  private dir: string | undefined;

  get child(): string {
    if (!this.dir) throw new Error('the start-up build is not made');
    return join(this.dir, 'bench', 'src', 'startup-child.js');
  }

  make(): void {
    const dir = mkdtempSync(join(tmpdir(), 'melange-startup-'));
    this.dir = dir;
    const config = ts.readConfigFile(join(ROOT, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
    const compilerOptions: ts.CompilerOptions = { ...options, noEmit: false, declaration: false, sourceMap: false, inlineSourceMap: false };
    const sources = [...tsFiles(join(ROOT, 'lib')), join(ROOT, 'bench', 'src', 'startup-child.ts')];
    for (const source of sources) {
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), { compilerOptions, fileName: source });
      const target = join(dir, relative(ROOT, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  }

  remove(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function queueCount(handlers: number): number {
  return Math.min(handlers, MAX_QUEUES);
}

export function startupScenario(server: ServerScope, sizes: Sizes): Scenario {
  const build = new Build();
  /** Declared once, before the rounds, as the library declares them: what a restarted service finds. */
  const existing = Array.from({ length: MAX_QUEUES }, (_, index) => `startup-${index}`);
  let rawQueueUrl = '';

  const job = (contender: StartupJob['contender'], handlers: number, queues: readonly string[]): StartupJob => ({
    contender,
    endpoint: server.endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    handlers,
    queues,
    queueUrl: rawQueueUrl,
    declare: true,
  });

  const melange = (handlers: number): Contender => ({
    name: `nestjs-melange, ${plural(handlers)}`,
    settings: `${onQueues(handlers)}; queues listed in infrastructure, already there (autoCreate checks them)`,
    run: () => runChild(build, job('melange', handlers, existing.slice(0, queueCount(handlers)))),
  });
  const firstStart = (handlers: number): Contender => ({
    name: `nestjs-melange, ${plural(handlers)}, first start`,
    settings: `as above, the queues created by autoCreate`,
    run: async () => {
      const base = freshName('startup');
      const queues = Array.from({ length: queueCount(handlers) }, (_, index) => `${base}-${index}`);
      try {
        return await runChild(build, job('melange', handlers, queues));
      } finally {
        await Promise.all(queues.map((name) => deleteQueueNamed(server, name)));
      }
    },
  });
  const lambda = (handlers: number): Contender => ({
    name: `nestjs-melange/lambda, ${plural(handlers)}`,
    settings: `createLambdaHandler(Module) over the same module, first invocation (1 record)`,
    run: () => runChild(build, job('lambda', handlers, existing.slice(0, queueCount(handlers)))),
  });

  return {
    id: 'startup',
    title: `9. Start-up: from a fresh Node process to the first ReceiveMessage, with ${HANDLER_COUNTS.join(', ')} handlers`,
    description:
      'Every run is a new Node process (what a Lambda cold start or a new container pays), running plain JavaScript transpiled ' +
      "beforehand with the root tsconfig (no ts-node at load). The app: N message classes and one @Injectable @MessageConsumer class per queue " +
      `(min(N, ${MAX_QUEUES}) queues, handlers round-robin: 200 handlers are 10 per queue), decorators applied as functions, ` +
      'MelangeModule.forRoot({ backends: { default: new SqsBackend(...) }, infrastructure: { queues } }) (autoCreate on, its default), the library building its own SQS clients. ' +
      'Phases in ms: boot = Node until the script\'s first line; import = require of reflect-metadata + @nestjs/common + @nestjs/core, then of the library ' +
      '(which loads the AWS SDK); define = the classes, decorators and forRoot; context = NestFactory.createApplicationContext until it calls ' +
      'init() (module scan, dependency injection); init = init() (onModuleInit: the explorer; onApplicationBootstrap: declaring the queues, starting ' +
      'the consumers); first receive = init() start to the first ReceiveMessage request handed to node:http (its request() wrapped in the ' +
      'child, no SDK client touched), all polled = to the last queue\'s first one; setup requests = SQS requests other than receives ' +
      'before that; receives without a socket = receives the HTTP agent had not given a socket 100 ms later (long polls beyond its maxSockets, ' +
      '50 by default, wait for one); total = process start to the first receive (and to all queues polled). Raw SDK: require @aws-sdk/client-sqs, new SQSClient, ' +
      'ReceiveMessage on a known queue URL (its first receive column counts from the send). Lambda: createLambdaHandler(Module) and a first ' +
      'invocation with one record; its first receive and total columns are to the record reaching the handler (no network). ' +
      '"First start" rows use fresh queue names, so autoCreate creates every queue.',
    rounds: sizes.rounds,
    warmup: sizes.mode === 'full',
    setUp: async () => {
      await server.start();
      try {
        build.make();
        const backend = new SqsBackend({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS });
        try {
          for (const name of existing) await backend.declareQueue({ name });
        } finally {
          await backend.close();
        }
        rawQueueUrl = await queueUrlOf(server, existing[0]!);
        // Unrecorded: the first process after the build reads every file from disk.
        await runChild(build, job('melange', MAX_QUEUES, existing));
      } catch (error) {
        // The runner calls tearDown only after a setUp that succeeded.
        build.remove();
        await server.stop();
        throw error;
      }
    },
    tearDown: async () => {
      build.remove();
      await server.stop();
    },
    ratioLabel: '× raw',
    columns: [
      { key: 'boot', label: 'boot ms', digits: 0 },
      { key: 'importNest', label: 'import Nest ms', digits: 0 },
      { key: 'importLibrary', label: 'import library / SDK ms', digits: 0 },
      { key: 'define', label: 'define ms', digits: 1 },
      { key: 'context', label: 'context ms', digits: 1 },
      { key: 'init', label: 'init ms', digits: 1 },
      { key: 'firstReceive', label: 'init → first receive ms', digits: 1 },
      { key: 'allPolling', label: 'init → all polled ms', digits: 1 },
      { key: 'setupRequests', label: 'setup requests', digits: 0 },
      { key: 'receivesWithoutSocket', label: 'receives without a socket', digits: 0 },
      { key: 'total', label: 'total to first receive ms', digits: 0, spread: true, ratio: true },
      { key: 'totalAll', label: 'total to all polled ms', digits: 0 },
    ],
    contenders: [
      { name: 'raw SDK', settings: 'new SQSClient + ReceiveMessage on a known URL', baseline: true, run: () => runChild(build, job('raw', 1, [existing[0]!])) },
      ...HANDLER_COUNTS.map(melange),
      ...HANDLER_COUNTS.map(firstStart),
      ...HANDLER_COUNTS.map(lambda),
    ],
  };
}

function plural(handlers: number): string {
  return handlers === 1 ? '1 handler' : `${handlers} handlers`;
}

function onQueues(handlers: number): string {
  const queues = queueCount(handlers);
  return `${plural(handlers)} on ${queues === 1 ? '1 queue' : `${queues} queues`}`;
}

async function queueUrlOf(server: ServerScope, name: string): Promise<string> {
  const { QueueUrl } = await server.admin.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  return QueueUrl!;
}

async function deleteQueueNamed(server: ServerScope, name: string): Promise<void> {
  const url = await queueUrlOf(server, name).catch(() => undefined);
  if (url) await server.admin.deleteQueue(url);
}

async function runChild(build: Build, job: StartupJob): Promise<Metrics> {
  const { requests, ...phases } = await spawnChild(build.child, job);
  // Per operation in the results file (e.g. requests.GetQueueUrl), beside the phases.
  return { ...phases, ...Object.fromEntries(Object.entries(requests).map(([operation, count]) => [`requests.${operation}`, count])) };
}

/** BENCH_STARTUP_CPU_PROF=<dir>: every child writes a V8 CPU profile of its whole life there (node --cpu-prof). */
function spawnChild(script: string, job: StartupJob): Promise<StartupReport> {
  const profileDir = process.env.BENCH_STARTUP_CPU_PROF;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-interval=100'] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...profiling, script, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // Without NODE_OPTIONS: a -r ts-node there would load a compiler into the process measured.
      env: { ...process.env, NODE_OPTIONS: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`start-up child (${job.contender}, ${job.handlers}) exited with ${code}: ${out.slice(-500)}`));
      try {
        resolve(JSON.parse(line) as StartupReport);
      } catch {
        reject(new Error(`start-up child printed no report: ${out.slice(-500)}`));
      }
    });
  });
}
