import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { UnsupportedLambdaEventError } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent } from '../support/lambda-events';
import { uniqueName } from '../support/sqs';

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

const AppModule = lambdaAppModule({ infrastructure: { queues: [{ name: HANDLED }, { name: STRAY }] } }, [InvoicesConsumer]);

describe('events the application has no handlers for', () => {
  const logger = new CapturingLogger();
  const { handler, sqs } = setupLambdaHandler(AppModule, { logger });

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
