import { Injectable, Module } from '@nestjs/common';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { MelangeModule, MessageConsumer, OnMessage } from '../../../lib';
import { encodeForQueue } from '../../../lib/backends/sqs/sqs-wire-format';
import { createLambdaHandler, type LambdaBatchResponse } from '../../../lib/lambda';
import { JsonSerializer } from '../../../lib/serialization/json.serializer';
import { sink } from '../apps';
import type { Sizes } from '../context';
import { measured } from '../hooks';
import { makeOrder, orderFromJson, OrderPlaced } from '../message';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';

/** Lambda's default batch size for an SQS event source mapping. */
const BATCH_SIZE = 10;
const QUEUE = 'bench-lambda';
const QUEUE_ARN = `arn:aws:sqs:us-east-1:000000000000:${QUEUE}`;
/** A context far from its deadline: the scenario measures the handler, not the safety margin. */
const CONTEXT = { getRemainingTimeInMillis: () => 900_000, awsRequestId: 'bench' };

/** Invocations per run: records = invocations × 10. Quick stays tiny (about a second in all). */
function invocations(sizes: Sizes, round: RoundInfo): number {
  const count = sizes.mode === 'quick' ? 100 : 2_000;
  return round.warmup ? count / 4 : count;
}

/** Records as Lambda builds them from what the library sends: the `{"Message"}` body and its attributes. */
function events(count: number): SQSEvent[] {
  const serializer = new JsonSerializer();
  const records = Array.from({ length: BATCH_SIZE * 4 }, (_, index): SQSRecord => {
    const order = makeOrder(index);
    const { body, attributes } = encodeForQueue({
      payload: serializer.serialize(order),
      manifest: 'bench.order-placed',
      serializerId: serializer.id,
      messageId: `message-${index}`,
      attributes: {},
    });
    return {
      messageId: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      receiptHandle: `receipt-${index}`,
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: Object.fromEntries(
        Object.entries(attributes).map(([name, value]) => [name, { stringValue: value.StringValue, stringListValues: [], binaryListValues: [], dataType: value.DataType }]),
      ),
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'us-east-1',
    };
  });
  return Array.from({ length: count }, (_, index) => ({ Records: records.slice((index % 4) * BATCH_SIZE, (index % 4 + 1) * BATCH_SIZE) }));
}

/** The hand-written Lambda handler the issue compares with: a loop over event.Records doing the same work. */
async function bareHandler(event: SQSEvent): Promise<LambdaBatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const wrapper = JSON.parse(record.body) as { Message: string };
      sink(orderFromJson(wrapper.Message));
    } catch {
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

async function bareRun(sizes: Sizes, round: RoundInfo): Promise<Metrics> {
  const count = invocations(sizes, round);
  const batches = events(count);
  const started = performance.now();
  await bareHandler(batches[0]!);
  const cold = performance.now() - started;
  return measureInvocations(batches, cold, (event) => bareHandler(event));
}

async function melangeRun(sizes: Sizes, round: RoundInfo): Promise<Metrics> {
  const count = invocations(sizes, round);
  const batches = events(count);
  let firstHandledAt = 0;
  // Classes defined per run, so each round bootstraps a module of its own.
  @Injectable()
  @MessageConsumer(QUEUE)
  class OrdersConsumer {
    @OnMessage()
    placed(order: OrderPlaced): void {
      if (firstHandledAt === 0) firstHandledAt = performance.now();
      sink(order);
    }
  }
  @Module({ imports: [MelangeModule.forRoot({})], providers: [OrdersConsumer] })
  class FunctionModule {}

  const started = performance.now();
  const handler = createLambdaHandler(FunctionModule, { bootstrap: 'first-invocation', logger: ['error', 'warn'] });
  await handler(batches[0]!, CONTEXT);
  const cold = firstHandledAt - started;
  try {
    return await measureInvocations(batches, cold, (event) => handler(event, CONTEXT));
  } finally {
    await handler.close();
  }
}

/** Invocations one after another, as one execution environment serves them. */
async function measureInvocations(batches: readonly SQSEvent[], cold: number, invoke: (event: SQSEvent) => Promise<LambdaBatchResponse>): Promise<Metrics> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  measured.start();
  for (const event of batches) {
    const response = await invoke(event);
    if (response.batchItemFailures.length > 0) throw new Error(`the benchmark's records failed: ${JSON.stringify(response.batchItemFailures)}`);
  }
  measured.stop();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const records = batches.length * BATCH_SIZE;
  return { cold, perRecord: (elapsed * 1000) / records, rate: (records * 1000) / elapsed, cpu: (used.user + used.system) / records };
}

export function lambdaScenario(sizes: Sizes): Scenario {
  return {
    id: 'lambda',
    title: `4b. Lambda handler: cold start and per-record overhead, ${(invocations(sizes, { round: 0, warmup: false }) * BATCH_SIZE).toLocaleString('en-US')} records in batches of ${BATCH_SIZE}`,
    description:
      'No network: SQS events built in memory in Lambda\'s record shape from what the library sends (the {"Message"} body, manifest and ' +
      'serializer_id attributes), 10 records each, handed to the handler one invocation after another with a context far from its deadline. ' +
      'cold start = from createLambdaHandler(Module) (module already imported; bootstrap on the first invocation) to the first record reaching ' +
      'the @OnMessage handler: the Nest application context, the explorer and the first dispatch. µs/record = the invocations after it, wall ' +
      'time over records. The bare loop is the hand-written handler the issue compares with: JSON.parse of the body and of its Message, ' +
      'Object.assign into the class, the same sink, a partial-batch response; no decoding of attributes, routing, retries or idempotency.',
    rounds: sizes.rounds,
    ratioLabel: '× bare loop',
    columns: [
      { key: 'cold', label: 'cold start ms', digits: 1 },
      { key: 'perRecord', label: 'µs/record', digits: 2, spread: true, ratio: true },
      { key: 'rate', label: 'records/s' },
      { key: 'cpu', label: 'CPU µs/record', digits: 1 },
    ],
    contenders: [
      { name: 'bare loop over event.Records', settings: 'JSON.parse ×2, Object.assign', baseline: true, run: (round) => bareRun(sizes, round) },
      { name: 'nestjs-melange/lambda', settings: "createLambdaHandler(Module), bootstrap 'first-invocation'", run: (round) => melangeRun(sizes, round) },
    ],
  };
}
