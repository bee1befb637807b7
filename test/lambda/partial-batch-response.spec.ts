import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { createLambdaHandler, type MelangeLambdaHandler } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { failedIds, lambdaContext, localSqsClientOptions, receiveSqsEvent } from '../support/lambda-events';
import { CREDENTIALS, plainSqs, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

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

@Module({
  imports: [
    MelangeModule.forRoot({
      backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, logger: silentLogger }) },
      infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 60 }] },
      // Failed records stay away for the rest of the spec.
      consumers: { retry: { maxAttempts: 5, initialDelayMs: 60_000 } },
    }),
  ],
  providers: [ChargesConsumer],
})
class AppModule {}

describe('the partial-batch response of a Lambda SQS invocation', () => {
  const sqs = plainSqs();
  let handler: MelangeLambdaHandler;

  beforeAll(() => {
    handler = createLambdaHandler(AppModule, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger() });
  });

  afterAll(async () => {
    await handler.close();
    sqs.destroy();
  });

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
