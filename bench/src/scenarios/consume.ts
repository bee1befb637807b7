import { freshName, sqsClient } from '../aws';
import { startMelangeApp, startSqsConsumers, startSsutApp, sink, type OnOrder } from '../apps';
import type { ServerScope, Sizes } from '../context';
import { orderFromJson } from '../message';
import { Progress } from '../progress';
import { startRawConsumer } from '../raw-consumer';
import { RequestCounter } from '../request-counter';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';
import { sleep } from '../stats';

/** Tuned on this machine (see README.md, "How the contenders were tuned"). */
export const RAW_POLLERS = 16;
export const SQS_CONSUMER_INSTANCES = 16;
export const SSUT_TUNED_INSTANCES = 16;
export const MELANGE_TUNED_CONCURRENCY = 100;

interface Started {
  stop(): Promise<void>;
}

/**
 * Starts a contender on a queue: its handler builds the order, adds it to the sum and calls
 * `onOrder` (awaiting what it returns); every SQS client it uses goes through `counter`.
 */
type Starter = (queue: { name: string; url: string }, onOrder: OnOrder, counter: RequestCounter) => Promise<Started>;

type Format = 'raw' | 'melange';

/** A consume contender; other scenarios (uneven.ts) run it with handlers of their own through `start`. */
export interface ConsumeContender extends Contender {
  readonly format: Format;
  readonly start: Starter;
}

function consumeContender(server: ServerScope, sizes: Sizes, name: string, settings: string, format: Format, start: Starter, baseline = false): ConsumeContender {
  return { name, settings, baseline, format, start, run: (round) => consumeRun(server, sizes, round, name, format, start) };
}

/** The hand-tuned raw SDK pipeline (src/raw-consumer.ts). */
export function rawContender(server: ServerScope, sizes: Sizes, pollers = RAW_POLLERS, name = 'raw SDK, hand-tuned'): ConsumeContender {
  return consumeContender(server, sizes, name, `${pollers} pollers × ReceiveMessage(10), DeleteMessageBatch not awaited`, 'raw', async (queue, onOrder, counter) => {
    const client = counter.attach(sqsClient(server.endpoint));
    const consumer = startRawConsumer({
      client,
      queueUrl: queue.url,
      pollers,
      handle: (message) => {
        const order = orderFromJson(message.Body!);
        sink(order);
        return onOrder(order);
      },
    });
    return { stop: async () => (await consumer.stop(), client.destroy()) };
  }, true);
}

/**
 * The same raw pipeline reading the library's wire format: every message attribute and the two
 * system attributes nestjs-melange asks for, and the `{"Message": "<json>"}` body unwrapped. Not a
 * competitor: it shows what the wire format itself costs the SDK, apart from the library's code.
 */
export function rawWireContender(server: ServerScope, sizes: Sizes, pollers = RAW_POLLERS, name = 'raw SDK, library\'s wire format'): ConsumeContender {
  return consumeContender(
    server,
    sizes,
    name,
    `as above, plus message + system attributes received and the {"Message"} body unwrapped`,
    'melange',
    async (queue, onOrder, counter) => {
      const client = counter.attach(sqsClient(server.endpoint));
      const consumer = startRawConsumer({
        client,
        queueUrl: queue.url,
        pollers,
        attributes: true,
        handle: (message) => {
          const order = orderFromJson((JSON.parse(message.Body!) as { Message: string }).Message);
          sink(order);
          return onOrder(order);
        },
      });
      return { stop: async () => (await consumer.stop(), client.destroy()) };
    },
  );
}

export function sqsConsumerContender(server: ServerScope, sizes: Sizes, instances = SQS_CONSUMER_INSTANCES, name = 'sqs-consumer, best'): ConsumeContender {
  return consumeContender(server, sizes, name, `${instances} Consumers, batchSize 10, handleMessageBatch`, 'raw', async (queue, onOrder, counter) => {
    const client = counter.attach(sqsClient(server.endpoint));
    const consumers = startSqsConsumers({ client, queueUrl: queue.url, consumers: instances, onOrder });
    return { stop: async () => (await consumers.stop(), client.destroy()) };
  });
}

/**
 * sqs-consumer's best setting reading the library's wire format (as rawWireContender does for the
 * raw SDK): what sqs-consumer would pay to consume a queue that nestjs-melange services publish to.
 */
export function sqsConsumerWireContender(server: ServerScope, sizes: Sizes, instances = SQS_CONSUMER_INSTANCES): ConsumeContender {
  const name = "sqs-consumer, best, library's wire format";
  const settings = `as sqs-consumer, best, plus message + system attributes received and the {"Message"} body unwrapped`;
  return consumeContender(server, sizes, name, settings, 'melange', async (queue, onOrder, counter) => {
    const client = counter.attach(sqsClient(server.endpoint));
    const consumers = startSqsConsumers({ client, queueUrl: queue.url, consumers: instances, onOrder, wireFormat: true });
    return { stop: async () => (await consumers.stop(), client.destroy()) };
  });
}

export function ssutContender(server: ServerScope, sizes: Sizes, tuned: { instances: number } | undefined, name?: string): ConsumeContender {
  const settings = tuned ? `${tuned.instances} consumers, batchSize 10, batch handler` : '1 consumer, batchSize 1, @SqsMessageHandler';
  return consumeContender(server, sizes, name ?? `@ssut/nestjs-sqs, ${tuned ? 'tuned' : 'defaults'}`, settings, 'raw', async (queue, onOrder, counter) => {
    const client = counter.attach(sqsClient(server.endpoint));
    const app = await startSsutApp({
      client,
      queueUrl: queue.url,
      consumers: tuned?.instances ?? 1,
      batch: tuned !== undefined,
      onOrder,
    });
    return { stop: async () => (await app.close(), client.destroy()) };
  });
}

export function melangeContender(server: ServerScope, sizes: Sizes, concurrency: number | undefined, name?: string): ConsumeContender {
  const settings =
    concurrency === undefined ? 'forRoot + @MessageConsumer(queue) (concurrency 32)' : `@MessageConsumer({ queue, concurrency: ${concurrency} })`;
  return consumeContender(server, sizes, name ?? `nestjs-melange, ${concurrency === undefined ? 'defaults' : 'tuned'}`, settings, 'melange', async (queue, onOrder, counter) => {
    // The two SQS clients SqsBackend would build itself (same region, endpoint, credentials), passed
    // in only so their requests can be counted; the backend leaves given clients open, so we close them.
    const sqs = counter.attach(sqsClient(server.endpoint));
    const polling = counter.attach(sqsClient(server.endpoint));
    const { app } = await startMelangeApp({
      endpoint: server.endpoint,
      queue: queue.name,
      concurrency,
      backend: { clients: { sqs, polling } },
      onOrder,
    });
    return {
      stop: async () => {
        await app.close();
        sqs.destroy();
        polling.destroy();
      },
    };
  });
}

export function consumeScenario(server: ServerScope, sizes: Sizes): Scenario {
  return {
    id: 'consume',
    title: `1. Consume throughput: ${sizes.consume.toLocaleString('en-US')} messages already queued`,
    description: CONSUME_DESCRIPTION(sizes),
    rounds: sizes.rounds,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: CONSUME_COLUMNS,
    contenders: [
      rawContender(server, sizes),
      rawWireContender(server, sizes),
      sqsConsumerContender(server, sizes),
      sqsConsumerWireContender(server, sizes),
      ssutContender(server, sizes, undefined),
      ssutContender(server, sizes, { instances: SSUT_TUNED_INSTANCES }),
      melangeContender(server, sizes, undefined),
      melangeContender(server, sizes, MELANGE_TUNED_CONCURRENCY),
    ],
  };
}

export const CONSUME_COLUMNS = [
  { key: 'rate', label: 'msg/s', spread: true, ratio: true },
  { key: 'cpu', label: 'CPU µs/msg', digits: 0 },
  { key: 'perReceive', label: 'msgs per receive', digits: 1 },
  { key: 'perDelete', label: 'msgs per delete request', digits: 1 },
] as const;

export const CONSUME_DESCRIPTION = (sizes: Sizes): string =>
  `Each run fills a fresh queue with ${sizes.consume.toLocaleString('en-US')} messages (~200-byte JSON order; the library's wire format for ` +
  "nestjs-melange and the rows named \"library's wire format\", the bare JSON body for the others), then starts the contender. Rate = messages handled per second between the " +
  "first and the last handler call; CPU = this process's user+system CPU over the same span, per message (the local SQS " +
  `server runs in another process and is not counted). Runs still going ${sizes.consumeCapMs / 1000} s after their first message are ` +
  'stopped and rated on what they handled by then. Messages per receive / per delete request: from an SDK middleware counting each ' +
  "client's requests (nestjs-melange is given the two SQS clients it would build itself, so they can be counted). " +
  'Every handler builds the typed class (nestjs-melange: its JSON serializer; the ' +
  'others: JSON.parse + Object.assign) and adds one field to a sum.';

/**
 * One run: a fresh queue filled with the scenario's backlog, drained by the contender. `then`, if
 * given, is called by every handler once the message is counted, and awaited (scenario uneven).
 */
export async function consumeRun(
  server: ServerScope,
  sizes: Sizes,
  round: RoundInfo,
  name: string,
  format: Format,
  start: Starter,
  then?: OnOrder,
): Promise<Metrics> {
  const count = round.warmup ? Math.max(500, Math.round(sizes.consume / 4)) : sizes.consume;
  const queueName = freshName(`consume-${name.replace(/[^a-z]+/gi, '-').slice(0, 24)}`);
  const url = await server.admin.createQueue(queueName);
  try {
    await server.admin.fill(url, count, format);
    const progress = new Progress(count);
    const counter = new RequestCounter();
    const onOrder: OnOrder = then ? (order) => (progress.tick(), then(order)) : () => progress.tick();
    const started = await start({ name: queueName, url }, onOrder, counter);
    let capped: boolean;
    try {
      ({ capped } = await progress.finish(round.warmup ? sizes.consumeCapMs / 2 : sizes.consumeCapMs));
      // Every message handled: give the contender a moment to delete the last ones by itself.
      if (!capped) await waitForEmpty(server, url, 3000);
    } finally {
      await started.stop();
    }
    return {
      rate: progress.rate(),
      cpu: progress.cpuPerMessage(),
      handled: progress.count,
      perReceive: counter.perRequest('ReceiveMessage'),
      perDelete: counter.perRequest('DeleteMessageBatch', 'DeleteMessage'),
      capped: capped ? 1 : 0,
      leftover: capped ? 0 : await server.admin.remaining(url),
    };
  } finally {
    await server.admin.deleteQueue(url);
  }
}

async function waitForEmpty(server: ServerScope, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (await server.admin.remaining(url)) > 0) await sleep(20);
}
