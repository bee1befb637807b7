import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent } from '../support/lambda-events';
import { uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-partial');

@Message('lambda-spec.charge')
class Charge {
  id!: string;
}

@Injectable()
@MessageConsumer(QUEUE)
class ChargesConsumer {
  readonly handled: string[] = [];

  @OnMessage()
  async charge(charge: Charge): Promise<void> {
    // Concurrent records: the failing ones finish first, so the response cannot follow completion order by luck.
    await new Promise((resolve) => setTimeout(resolve, charge.id.startsWith('fail') ? 5 : 50));
    if (charge.id.startsWith('fail')) throw new Error(`gateway refused ${charge.id}`);
    this.handled.push(charge.id);
  }
}

const AppModule = lambdaAppModule(
  {
    infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 60 }] },
    // Failed records stay away for the rest of the spec.
    consumers: { retry: { maxAttempts: 5, initialDelayMs: 60_000 } },
  },
  [ChargesConsumer],
);

describe('the partial-batch response of a Lambda SQS invocation', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it('names exactly the records whose handler failed', async () => {
    const app = await handler.ready();
    const ids = ['ok-1', 'fail-1', 'ok-2', 'ok-3', 'fail-2', 'ok-4'];
    await Promise.all(ids.map((id) => app.get(MelangePublisher).publish(Object.assign(new Charge(), { id }), { queue: QUEUE })));
    const event = await receiveSqsEvent(sqs, QUEUE, ids.length);
    const failing = event.Records.filter((record) => record.body.includes('fail-')).map((record) => record.messageId);
    expect(failing).toHaveLength(2);

    const response = await handler(event, lambdaContext());

    expect(failedIds(response)).toEqual([...failing].sort());
    expect(app.get(ChargesConsumer).handled.sort()).toEqual(['ok-1', 'ok-2', 'ok-3', 'ok-4']);
  });
});
