import { PublishBatchCommand } from '@aws-sdk/client-sns';
import { SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { manifestOf } from '../../../lib';
import { wrapQueueBody } from '../../../lib/backends/sqs/sqs-wire-format';
import { freshName, snsClient, sqsClient } from '../aws';
import { startMelangeApp } from '../apps';
import type { ServerScope, Sizes } from '../context';
import { makeOrder, OrderPlaced } from '../message';

const MANIFEST = manifestOf(OrderPlaced);
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';
import { sleep } from '../stats';
import { measured } from '../hooks';

/** Callers publishing at once; the raw batch loops keep the same number of messages in flight. */
export const PUBLISH_CALLERS = 100;
const BATCH_WORKERS = PUBLISH_CALLERS / 10;

interface Destination {
  readonly queueName: string;
  readonly queueUrl: string;
  /** Set for the SNS runs: a topic whose two subscribed queues are queueUrl and another. */
  readonly topicName?: string;
  readonly topicArn?: string;
}

/** Gets ready (clients, application) outside the timed span, then publishes `count` messages inside it. */
type Publisher = (destination: Destination) => Promise<{ publish(count: number): Promise<void>; close(): Promise<void> }>;

/** A raw-SDK publisher: a client of its own, nothing else to prepare. */
function rawPublisher<C extends { destroy(): void }>(
  makeClient: () => C,
  publish: (client: C, destination: Destination, count: number) => Promise<void>,
): Publisher {
  return async (destination) => {
    const client = makeClient();
    return { publish: (count) => publish(client, destination, count), close: async () => client.destroy() };
  };
}

/** nestjs-melange: a publish-only application, its publisher called by concurrent callers. */
function melangePublisher(endpoint: () => string, target: (destination: Destination) => { queue: string } | { topic: string }): Publisher {
  return async (destination) => {
    const { app, publisher } = await startMelangeApp({ endpoint: endpoint() });
    const to = target(destination);
    return {
      publish: (count) => concurrently(PUBLISH_CALLERS, count, (index) => publisher.publish(makeOrder(index), to)),
      close: () => app.close(),
    };
  };
}

const columns = [
  { key: 'rate', label: 'msg/s', spread: true, ratio: true },
  { key: 'cpu', label: 'CPU µs/msg', digits: 0 },
] as const;

/** The attributes nestjs-melange puts on every message. */
function wireAttributes(): Record<string, { DataType: string; StringValue: string }> {
  return {
    manifest: { DataType: 'String', StringValue: MANIFEST },
    serializer_id: { DataType: 'Number', StringValue: '1' },
    melange_message_id: { DataType: 'String', StringValue: randomUUID() },
  };
}

/** Runs `callers` loops that together make `count` calls, each awaiting its own before the next. */
async function concurrently(callers: number, count: number, call: (index: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < count) await call(next++);
    }),
  );
}

/** Batches of 10 from `workers` loops, `count` messages in all. */
async function inBatches(workers: number, count: number, send: (first: number, size: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) {
        const first = next;
        const size = Math.min(10, count - first);
        next += size;
        await send(first, size);
      }
    }),
  );
}

/** The raw SDK's SendMessageBatch loop, with bare bodies or in the library's wire format. */
function rawSqsBatchLoop(server: ServerScope, wireFormat: boolean): Publisher {
  return rawPublisher(
    () => sqsClient(server.endpoint),
    (client, destination, count) =>
      inBatches(BATCH_WORKERS, count, (first, size) =>
        client.send(
          new SendMessageBatchCommand({
            QueueUrl: destination.queueUrl,
            Entries: Array.from({ length: size }, (_, index) => {
              const body = JSON.stringify(makeOrder(first + index));
              return wireFormat
                ? { Id: String(index), MessageBody: wrapQueueBody(body), MessageAttributes: wireAttributes() }
                : { Id: String(index), MessageBody: body };
            }),
          }),
        ),
      ),
  );
}

/** The raw SDK's PublishBatch loop, with or without the library's three attributes. */
function rawSnsBatchLoop(server: ServerScope, wireFormat: boolean): Publisher {
  return rawPublisher(
    () => snsClient(server.endpoint),
    (client, destination, count) =>
      inBatches(BATCH_WORKERS, count, (first, size) =>
        client.send(
          new PublishBatchCommand({
            TopicArn: destination.topicArn,
            PublishBatchRequestEntries: Array.from({ length: size }, (_, index) => ({
              Id: String(index),
              Message: JSON.stringify(makeOrder(first + index)),
              ...(wireFormat ? { MessageAttributes: wireAttributes() } : {}),
            })),
          }),
        ),
      ),
  );
}

export function publishScenarios(server: ServerScope, sizes: Sizes): Scenario[] {
  const n = sizes.publish.toLocaleString('en-US');
  const run = (topic: boolean, publish: Publisher) => (round: RoundInfo) => publishRun(server, sizes, round, topic, publish);
  const contenders: Contender[] = [
    {
      name: 'raw SDK, SendMessage per message',
      settings: `${PUBLISH_CALLERS} concurrent callers`,
      run: run(
        false,
        rawPublisher(
          () => sqsClient(server.endpoint),
          (client, destination, count) =>
            concurrently(PUBLISH_CALLERS, count, (index) =>
              client.send(new SendMessageCommand({ QueueUrl: destination.queueUrl, MessageBody: JSON.stringify(makeOrder(index)) })),
            ),
        ),
      ),
    },
    {
      name: 'raw SDK, SendMessageBatch loop',
      settings: `${BATCH_WORKERS} loops × batches of 10`,
      baseline: true,
      run: run(false, rawSqsBatchLoop(server, false)),
    },
    {
      name: 'nestjs-melange publish()',
      settings: `${PUBLISH_CALLERS} concurrent callers, defaults (batched automatically)`,
      run: run(false, melangePublisher(() => server.endpoint, (destination) => ({ queue: destination.queueName }))),
    },
    {
      name: "raw SDK, SendMessageBatch loop, library's wire format",
      settings: 'as above, with the {"Message"} body and the 3 attributes (manifest, serializer_id, melange_message_id)',
      run: run(false, rawSqsBatchLoop(server, true)),
    },
  ];
  const snsContenders: Contender[] = [
    {
      name: 'raw SDK, SNS PublishBatch loop',
      settings: `${BATCH_WORKERS} loops × batches of 10, topic → 2 queues`,
      baseline: true,
      run: run(true, rawSnsBatchLoop(server, false)),
    },
    {
      name: "raw SDK, SNS PublishBatch loop, library's wire format",
      settings: 'as above, with the 3 attributes',
      run: run(true, rawSnsBatchLoop(server, true)),
    },
    {
      name: 'nestjs-melange publish() to a topic',
      settings: `${PUBLISH_CALLERS} concurrent callers, topic → 2 queues`,
      run: run(true, melangePublisher(() => server.endpoint, (destination) => ({ topic: destination.topicName! }))),
    },
  ];
  const description =
    `Each run publishes ${n} ~200-byte orders to a fresh queue (or a fresh topic with two subscribed queues, raw delivery) and ` +
    'waits for every call to be acknowledged. Rate = messages per second from the first call to the last acknowledgement; ' +
    `CPU = this process's CPU over the same span, per message. nestjs-melange is called by ${PUBLISH_CALLERS} concurrent callers, one ` +
    'publish() at a time each; its SqsBackend gathers calls made in the same tick into batch requests. Its time includes ' +
    'serializing the class (the JSON serializer, on its plain-JSON path) and building the envelope; the raw loops only JSON.stringify.';
  return [
    {
      id: 'publish',
      title: `2a. Publish throughput to a queue: ${n} messages`,
      description,
      rounds: sizes.rounds,
      setUp: () => server.start(),
      tearDown: () => server.stop(),
      columns,
      contenders,
    },
    {
      id: 'publish-sns',
      title: `2b. Publish throughput, SNS fan-out to two queues: ${n} messages`,
      description: 'As 2a, to an SNS topic with two subscribed queues.',
      rounds: sizes.rounds,
      setUp: () => server.start(),
      tearDown: () => server.stop(),
      columns,
      contenders: snsContenders,
    },
  ];
}

async function publishRun(server: ServerScope, sizes: Sizes, round: RoundInfo, topic: boolean, publish: Publisher): Promise<Metrics> {
  const count = round.warmup ? Math.max(500, Math.round(sizes.publish / 4)) : sizes.publish;
  const queueName = freshName('publish');
  const queueUrl = await server.admin.createQueue(queueName);
  let destination: Destination = { queueName, queueUrl };
  const otherUrl = topic ? await server.admin.createQueue(freshName('publish-other')) : undefined;
  if (topic) {
    const topicName = freshName('publish-topic');
    const topicArn = await server.admin.createTopic(topicName);
    await server.admin.subscribe(topicArn, queueUrl);
    await server.admin.subscribe(topicArn, otherUrl!);
    destination = { ...destination, topicName, topicArn };
  }
  const publisher = await publish(destination);
  try {
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    measured.start();
    await publisher.publish(count);
    measured.stop();
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    // Every message must have arrived (on both queues for SNS); fan-out may lag the acknowledgement a little.
    const expected = topic ? 2 * count : count;
    const arrivedCount = async () => (await server.admin.remaining(queueUrl)) + (otherUrl ? await server.admin.remaining(otherUrl) : 0);
    let arrived = await arrivedCount();
    for (const deadline = Date.now() + 3000; arrived < expected && Date.now() < deadline; arrived = await arrivedCount()) await sleep(20);
    return {
      rate: (count * 1000) / elapsed,
      cpu: (cpu.user + cpu.system) / count,
      missing: expected - arrived,
    };
  } finally {
    await publisher.close();
    await server.admin.deleteQueue(queueUrl);
    if (otherUrl) await server.admin.deleteQueue(otherUrl);
    if (destination.topicArn) await server.admin.deleteTopic(destination.topicArn);
  }
}
