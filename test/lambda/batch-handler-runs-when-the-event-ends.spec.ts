import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessageBatch } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { lambdaContext, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-batch-flush');
/** Far longer than the invocation may take: a batch that waited it out would fail the spec. */
const MAX_WAIT_MS = 5_000;

@Message('lambda-batch-flush.item')
class Item {
  id!: number;
}

@Injectable()
@MessageConsumer(QUEUE)
class ItemsConsumer {
  readonly batches: number[][] = [];

  @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: MAX_WAIT_MS })
  handle(batch: Item[]): void {
    this.batches.push(batch.map((item) => item.id).sort());
  }
}

const AppModule = lambdaAppModule({ infrastructure: { queues: [{ name: QUEUE }] } }, [ItemsConsumer]);

/** Nothing but the invocation feeds the dispatcher in Lambda: once its records are in, more cannot come. */
describe('a batch handler in Lambda, given fewer records than its maxSize', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it('runs them as one batch as soon as the last record reached it, not after maxWaitMs', async () => {
    const app = await handler.ready();
    await app.get(MelangePublisher).publishBatch([1, 2, 3].map((id) => Object.assign(new Item(), { id })), { queue: QUEUE });
    const event = await receiveSqsEvent(sqs, QUEUE, 3);

    const startedAt = performance.now();
    const response = await handler(event, lambdaContext());
    const tookMs = performance.now() - startedAt;
    await settleLikeLambda(sqs, QUEUE, event, response);

    expect(response).toEqual({ batchItemFailures: [] });
    expect(app.get(ItemsConsumer).batches).toEqual([[1, 2, 3]]);
    expect(tookMs).toBeLessThan(MAX_WAIT_MS / 2);
  });
});
