/*
 * The start-up scenario's contender, one fresh Node process per run, as a Lambda cold start or a
 * container start pays it: loads Nest and the library (or only the AWS SDK), builds an app with N
 * handlers, starts it, and prints one JSON line with the time each phase took.
 *
 * It runs as plain JavaScript transpiled beforehand (src/scenarios/startup.ts), not through
 * ts-node: transpiling at load would be most of the "import" time, and no application pays it.
 * Nothing is imported at the top level (types only): every require is timed where it happens.
 */
import type { ClientRequest } from 'node:http';
import type { Type } from '@nestjs/common';

export interface StartupJob {
  /** raw: the AWS SDK alone; melange: MelangeModule + SqsBackend consumers; lambda: createLambdaHandler's first invocation. */
  readonly contender: 'raw' | 'melange' | 'lambda';
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Handlers (and message classes); spread round-robin over the queues. */
  readonly handlers: number;
  readonly queues: readonly string[];
  /** raw: the URL it receives from. */
  readonly queueUrl?: string;
  /** melange: list the queues in `infrastructure` (declared at bootstrap, autoCreate's default). */
  readonly declare: boolean;
}

/** Milliseconds; "since start" ones count from the process's time origin (performance.now()). */
export interface StartupReport {
  /** Node's own start-up and the loading of this script, until its first line runs. */
  readonly boot: number;
  /** reflect-metadata, @nestjs/common and @nestjs/core (raw: 0). */
  readonly importNest: number;
  /** The library's entry point (and the AWS SDK it loads); raw: @aws-sdk/client-sqs. */
  readonly importLibrary: number;
  /** Defining the N message classes and consumer classes, applying the decorators, MelangeModule.forRoot with a new SqsBackend (raw: new SQSClient). */
  readonly define: number;
  /** NestFactory.createApplicationContext up to its init(): module scanning and dependency injection. */
  readonly context: number;
  /** init(): onModuleInit (the explorer) and onApplicationBootstrap (declaration, consumers started). */
  readonly init: number;
  /** From init() starting (raw: from the client's first send) to the first ReceiveMessage request; Lambda: to the first record handled. */
  readonly firstReceive: number;
  /** From init() starting to the last queue's first ReceiveMessage (Lambda: as firstReceive). */
  readonly allPolling: number;
  /** Process start to the first ReceiveMessage (Lambda: first record handled). */
  readonly total: number;
  /** Process start to every queue polled. */
  readonly totalAll: number;
  /** Requests other than ReceiveMessage sent before every queue was polled (look-ups, declarations). */
  readonly setupRequests: number;
  /** Receives still without a socket 100 ms after every queue's first receive: long polls beyond the HTTP agent's maxSockets. */
  readonly receivesWithoutSocket: number;
  readonly requests: Readonly<Record<string, number>>;
}

/** One HTTP request the AWS SDK made: when, which operation, and its socket once it has one. */
interface SeenRequest {
  readonly at: number;
  readonly operation: string;
  readonly request: ClientRequest;
}

const bootEnd = performance.now();
const JSON_TARGET = /^AmazonSQS\.(.+)$/;

/**
 * Watches the HTTP requests the AWS SDK makes, without touching any client (the library builds its
 * own, as in an application): node:http's request() is wrapped before the SDK's HTTP handler
 * first reads it. A request counts from that call: the diagnostics channel http.client.request.start
 * fires only once a socket is assigned, and a long poll queued behind a full agent never gets one.
 */
class RequestWatch {
  readonly seen: SeenRequest[] = [];
  readonly firstReceiveByQueue = new Map<string, number>();
  private wake: (() => void) | undefined;

  constructor(private readonly queuesExpected: number) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const http = require('node:http') as { request: (...args: unknown[]) => ClientRequest };
    const request = http.request;
    http.request = (...args: unknown[]): ClientRequest => {
      const at = performance.now();
      const created = request(...args);
      this.onRequest(created, at);
      return created;
    };
  }

  get firstReceive(): number | undefined {
    return this.seen.find((request) => request.operation === 'ReceiveMessage')?.at;
  }

  /** Resolves once every queue had a receive (or after `timeoutMs`). */
  allQueuesPolled(timeoutMs: number): Promise<void> {
    if (this.firstReceiveByQueue.size >= this.queuesExpected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.firstReceiveByQueue.size} of ${this.queuesExpected} queues polled after ${timeoutMs} ms`)), timeoutMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  counts(until: number): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const request of this.seen) if (request.at <= until) counts[request.operation] = (counts[request.operation] ?? 0) + 1;
    return counts;
  }

  /** Receives the HTTP agent has not given a socket: more long polls than its maxSockets. */
  receivesWithoutSocket(): number {
    return this.seen.filter(({ operation, request }) => operation === 'ReceiveMessage' && !request.socket).length;
  }

  private onRequest(request: ClientRequest, at: number): void {
    const target = request.getHeader('x-amz-target');
    const operation = typeof target === 'string' ? (JSON_TARGET.exec(target)?.[1] ?? target) : 'other';
    this.seen.push({ at, operation, request });
    if (operation !== 'ReceiveMessage') return;
    // The queue is in the body, which the SDK hands to end() in one piece.
    const end = request.end.bind(request) as (...args: unknown[]) => ClientRequest;
    request.end = ((...args: unknown[]) => {
      const body = args[0];
      if (typeof body === 'string' || Buffer.isBuffer(body)) {
        const url = (JSON.parse(body.toString()) as { QueueUrl?: string }).QueueUrl ?? '';
        const queue = url.split('/').pop() ?? url;
        if (!this.firstReceiveByQueue.has(queue)) {
          this.firstReceiveByQueue.set(queue, at);
          if (this.firstReceiveByQueue.size >= this.queuesExpected) this.wake?.();
        }
      }
      return end(...args);
    }) as ClientRequest['end'];
  }
}

interface Marks {
  contextStart: number;
  initStart?: number;
  initEnd?: number;
}

type Phases = Pick<StartupReport, 'importNest' | 'importLibrary' | 'define' | 'context' | 'init'>;

/** `from`: where firstReceive and allPolling count from; `first` and `all`: since the process started. */
async function report(phases: Phases, from: number, first: number, all: number, watch: RequestWatch): Promise<StartupReport> {
  const requests = watch.counts(all);
  const setupRequests = Object.entries(requests).reduce((sum, [operation, count]) => sum + (operation === 'ReceiveMessage' ? 0 : count), 0);
  // Long enough for a free socket to be assigned (a tick), far too short for a long poll to end and free one.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const receivesWithoutSocket = watch.receivesWithoutSocket();
  return { boot: bootEnd, ...phases, firstReceive: first - from, allPolling: all - from, total: first, totalAll: all, setupRequests, receivesWithoutSocket, requests };
}

async function raw(job: StartupJob): Promise<StartupReport> {
  const watch = new RequestWatch(1);
  const importStart = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  const defineStart = performance.now();
  const client = new sdk.SQSClient({ region: job.region, endpoint: job.endpoint, credentials: job.credentials });
  const sendStart = performance.now();
  void client
    .send(new sdk.ReceiveMessageCommand({ QueueUrl: job.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageAttributeNames: ['All'] }))
    .catch(() => undefined);
  await watch.allQueuesPolled(20_000);
  const first = watch.firstReceive!;
  return report({ importNest: 0, importLibrary: defineStart - importStart, define: sendStart - defineStart, context: 0, init: 0 }, sendStart, first, first, watch);
}

type Library = typeof import('../../lib');
type Common = typeof import('@nestjs/common');
type Core = typeof import('@nestjs/core');

/** N message classes, and one consumer class per queue whose `@OnMessage` methods take them round-robin. */
function defineApp(job: StartupJob, lib: Library, common: Common, onMessage: () => void): { module: Type<unknown>; types: Type<unknown>[] } {
  const types = Array.from({ length: job.handlers }, (_, index) => {
    const name = `StartupEvent${index}`;
    return { [name]: class {} }[name] as Type<unknown>;
  });
  const providers = job.queues.map((queue, queueIndex) => {
    const name = `StartupConsumer${queueIndex}`;
    const consumer = { [name]: class {} }[name] as Type<unknown>;
    const prototype = consumer.prototype as Record<string, unknown>;
    for (let index = queueIndex; index < job.handlers; index += job.queues.length) {
      const method = `on${types[index]!.name}`;
      prototype[method] = function handle(): void {
        onMessage();
      };
      lib.OnMessage(types[index])(prototype, method, Object.getOwnPropertyDescriptor(prototype, method)!);
    }
    lib.MessageConsumer(queue)(consumer);
    common.Injectable()(consumer);
    return consumer;
  });
  const backend = new lib.SqsBackend({ region: job.region, endpoint: job.endpoint, credentials: job.credentials, abortPollsOnStop: true });
  class StartupModule {}
  common.Module({
    imports: [
      lib.MelangeModule.forRoot({
        backends: { default: backend },
        ...(job.declare ? { infrastructure: { queues: job.queues.map((name) => ({ name })) } } : {}),
      }),
    ],
    providers,
  })(StartupModule);
  return { module: StartupModule, types };
}

/** init() timed apart from what NestFactory does before it, which calls it itself. */
function markInit(core: Core, marks: Marks): void {
  const prototype = core.NestApplicationContext.prototype as { init: () => Promise<unknown> };
  const init = prototype.init;
  prototype.init = async function timedInit(this: unknown): Promise<unknown> {
    marks.initStart ??= performance.now();
    try {
      return await init.call(this);
    } finally {
      marks.initEnd ??= performance.now();
    }
  };
}

function loadNest(): { common: Common; core: Core; took: number } {
  const started = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('reflect-metadata');
  const common = require('@nestjs/common') as Common;
  const core = require('@nestjs/core') as Core;
  /* eslint-enable @typescript-eslint/no-require-imports */
  return { common, core, took: performance.now() - started };
}

function loadLibrary(): { lib: Library; took: number } {
  const started = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lib = require('../../lib') as Library;
  return { lib, took: performance.now() - started };
}

async function melange(job: StartupJob): Promise<StartupReport> {
  const watch = new RequestWatch(job.queues.length);
  const nest = loadNest();
  const library = loadLibrary();
  const defineStart = performance.now();
  const { module } = defineApp(job, library.lib, nest.common, () => undefined);
  const marks: Marks = { contextStart: performance.now() };
  markInit(nest.core, marks);
  await nest.core.NestFactory.createApplicationContext(module, { logger: ['error', 'warn'], abortOnError: false });
  await watch.allQueuesPolled(20_000);
  const initStart = marks.initStart!;
  return report(
    {
      importNest: nest.took,
      importLibrary: library.took,
      define: marks.contextStart - defineStart,
      context: initStart - marks.contextStart,
      init: marks.initEnd! - initStart,
    },
    initStart,
    watch.firstReceive!,
    Math.max(...watch.firstReceiveByQueue.values()),
    watch,
  );
}

async function lambda(job: StartupJob): Promise<StartupReport> {
  const watch = new RequestWatch(0);
  const nest = loadNest();
  const library = loadLibrary();
  const handlerStart = performance.now();
  /* eslint-disable @typescript-eslint/no-require-imports */
  const entry = require('../../lib/lambda') as typeof import('../../lib/lambda');
  const { encodeForQueue } = require('../../lib/backends/sqs/sqs-wire-format') as typeof import('../../lib/backends/sqs/sqs-wire-format');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const importLambda = performance.now() - handlerStart;
  const defineStart = performance.now();
  let handledAt: number | undefined;
  const { module, types } = defineApp(job, library.lib, nest.common, () => (handledAt ??= performance.now()));
  const marks: Marks = { contextStart: performance.now() };
  markInit(nest.core, marks);
  const handler = entry.createLambdaHandler(module, { bootstrap: 'first-invocation', logger: ['error', 'warn'] });
  // One record of the first queue's first message type, as Lambda builds it from what the library sends.
  const { body, attributes } = encodeForQueue({ payload: '{}', manifest: library.lib.manifestOf(types[0]!), serializerId: 1, messageId: 'startup-0', attributes: {} });
  const response = await handler(
    {
      Records: [
        {
          messageId: '00000000-0000-4000-8000-000000000000',
          receiptHandle: 'receipt-0',
          body,
          attributes: { ApproximateReceiveCount: '1' },
          messageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [name, { stringValue: value.StringValue, dataType: value.DataType! }]),
          ),
          eventSource: 'aws:sqs',
          eventSourceARN: `arn:aws:sqs:${job.region}:000000000000:${job.queues[0]}`,
        },
      ],
    },
    { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'startup' },
  );
  if (response.batchItemFailures.length > 0 || handledAt === undefined) throw new Error(`the record was not handled: ${JSON.stringify(response)}`);
  const initStart = marks.initStart!;
  return report(
    {
      importNest: nest.took,
      importLibrary: library.took + importLambda,
      define: marks.contextStart - defineStart,
      context: initStart - marks.contextStart,
      init: marks.initEnd! - initStart,
    },
    initStart,
    handledAt,
    handledAt,
    watch,
  );
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as StartupJob;
  const run = job.contender === 'raw' ? raw : job.contender === 'lambda' ? lambda : melange;
  const result = await run(job);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Long polls are left waiting: the server answers them to a closed socket, and nothing here needs closing.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
