import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { createLambdaHandler, UnsupportedLambdaEventError, type MelangeLambdaHandler } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { failedIds, lambdaContext, localSqsClientOptions, receiveSqsEvent } from '../support/lambda-events';
import { CREDENTIALS, plainSqs, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const HANDLED = uniqueName('lambda-handled');
const STRAY = uniqueName('lambda-stray');

@Message('lambda-spec.invoice')
class Invoice {
  id!: string;
}

@Injectable()
@MessageConsumer(HANDLED)
class InvoicesConsumer {
  @OnMessage()
  invoice(_: Invoice): void {
  }
}

@Module({
  imports: [
    MelangeModule.forRoot({
      backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, logger: silentLogger }) },
      infrastructure: { queues: [{ name: HANDLED }, { name: STRAY }] },
    }),
  ],
  providers: [InvoicesConsumer],
})
class AppModule {}

describe('events the application has no handlers for', () => {
  const sqs = plainSqs();
  const logger = new CapturingLogger();
  let handler: MelangeLambdaHandler;

  beforeAll(() => {
    handler = createLambdaHandler(AppModule, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger });
  });

  afterAll(async () => {
    await handler.close();
    sqs.destroy();
  });

  it('reports every record of a queue no consumer handles as failed, with a log line naming the queues handled', async () => {
    const publisher = (await handler.ready()).get(MelangePublisher);
    await publisher.publish(Object.assign(new Invoice(), { id: 'i-1' }), { queue: STRAY });
    await publisher.publish(Object.assign(new Invoice(), { id: 'i-2' }), { queue: STRAY });
    const event = await receiveSqsEvent(sqs, STRAY, 2);

    const response = await handler(event, lambdaContext());

    expect(failedIds(response)).toEqual(event.Records.map((record) => record.messageId).sort());
    expect(logger.messages('error')).toContainEqual(
      expect.stringContaining(`2 record(s) from queue "${STRAY}" reached this function, but no @MessageConsumer of the application handles it (queues handled: "${HANDLED}")`),
    );
  });

  it('refuses an event that is not from SQS or SNS, saying what it got', async () => {
    const apiGatewayEvent = { httpMethod: 'GET', path: '/orders', headers: {} };

    await expect(handler(apiGatewayEvent as never, lambdaContext())).rejects.toThrow(UnsupportedLambdaEventError);
    await expect(handler(apiGatewayEvent as never, lambdaContext())).rejects.toThrow(/"httpMethod", "path", "headers" and no Records array/);
  });
});
