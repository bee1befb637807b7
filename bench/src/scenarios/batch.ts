import { Injectable, Module } from '@nestjs/common';
import { MelangeModule, MessageConsumer, OnMessageBatch, SqsBackend } from '../../../lib';
import { CREDENTIALS, REGION, sqsClient } from '../aws';
import { createApp, sink, type OnOrder } from '../apps';
import type { ServerScope, Sizes } from '../context';
import { OrderPlaced } from '../message';
import type { RequestCounter } from '../request-counter';
import type { Scenario } from '../runner';
import { CONSUME_COLUMNS, SQS_CONSUMER_INSTANCES, consumeRun, sqsConsumerContender, type ConsumeContender } from './consume';

/** The quick variant runs in CI: one small round, enough to see that the scenario works. */
function batchSizes(sizes: Sizes): Sizes {
  return sizes.mode === 'quick' ? { ...sizes, consume: 500, consumeCapMs: 2_000 } : sizes;
}

/**
 * nestjs-melange with one `@OnMessageBatch(OrderPlaced)` method, as the README sets it up; the
 * handler does per message what sqs-consumer's `handleMessageBatch` does in its loop.
 */
function melangeBatchContender(server: ServerScope, sizes: Sizes, concurrency: number | undefined): ConsumeContender {
  const name = `nestjs-melange @OnMessageBatch, ${concurrency === undefined ? 'defaults' : 'tuned'}`;
  const settings = `maxSize 10, maxWaitMs 50, concurrency ${concurrency ?? '32 (default)'}`;
  const start = async (queue: { name: string }, onOrder: OnOrder, counter: RequestCounter) => {
    const sqs = counter.attach(sqsClient(server.endpoint));
    const polling = counter.attach(sqsClient(server.endpoint));
    @Injectable()
    @MessageConsumer({ queue: queue.name, concurrency })
    class BenchBatchConsumer {
      @OnMessageBatch(OrderPlaced)
      async handle(orders: OrderPlaced[]): Promise<void> {
        for (const order of orders) {
          sink(order);
          await onOrder(order);
        }
      }
    }
    const backend = new SqsBackend({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS, abortPollsOnStop: true, clients: { sqs, polling } });
    @Module({ imports: [MelangeModule.forRoot({ backends: { default: backend } })], providers: [BenchBatchConsumer] })
    class BenchBatchModule {}
    const app = await createApp(BenchBatchModule);
    return {
      stop: async () => {
        await app.close();
        sqs.destroy();
        polling.destroy();
      },
    };
  };
  return { name, settings, format: 'melange', start, run: (round) => consumeRun(server, sizes, round, name, 'melange', start) };
}

export function batchScenario(server: ServerScope, fullSizes: Sizes): Scenario {
  const sizes = batchSizes(fullSizes);
  return {
    id: 'batch',
    title: `1c. Batch handlers: ${sizes.consume.toLocaleString('en-US')} messages already queued, handled 10 at a time`,
    description:
      'As scenario 1, with handlers that take a batch: sqs-consumer\'s handleMessageBatch (the baseline, ' +
      `${SQS_CONSUMER_INSTANCES} Consumers × batchSize 10, its best setting in scenario 1) against nestjs-melange's ` +
      '@OnMessageBatch(OrderPlaced), which gathers up to 10 decoded messages across receives (maxWaitMs 50), with the default ' +
      'concurrency and with concurrency 100. Every batch handler loops over its messages doing the work of scenario 1. ' +
      '"× sqs-consumer" is each contender\'s median rate over the baseline\'s, in the same run.',
    rounds: sizes.mode === 'quick' ? 1 : sizes.rounds,
    warmup: sizes.mode !== 'quick',
    ratioLabel: '× sqs-consumer',
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: CONSUME_COLUMNS,
    contenders: [
      { ...sqsConsumerContender(server, sizes), name: 'sqs-consumer handleMessageBatch', baseline: true },
      melangeBatchContender(server, sizes, undefined),
      melangeBatchContender(server, sizes, 100),
    ],
  };
}
