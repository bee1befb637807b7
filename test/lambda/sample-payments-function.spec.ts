import 'reflect-metadata';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { MelangeEvents, MelangeInfrastructure, MelangePublisher } from '../../lib';
import type { MelangeLambdaHandler } from '../../lib/lambda';
import { OrderPlaced } from '../../sample-app/src/messages';
import { PAYMENTS_QUEUE } from '../../sample-app/src/payments/payments.infrastructure';
import { CapturingLogger } from '../support/capturing-logger';
import { EventLog } from '../support/recorder';
import { lambdaContext, localSqsClientOptions, receiveSqsEvent } from '../support/lambda-events';
import { plainSqs, uniqueName } from '../support/sqs';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';

/*
 * The sample's payments function, on the SQS/SNS server of Jest's global setup. The sample's own
 * e2e spec consumes sample-payments on the same server at the same time, so the record comes from
 * a queue of this spec's own and names sample-payments as its source: routing goes by that name.
 */
describe("the sample app's payments consumer as a Lambda function", () => {
  const sqs = plainSqs();
  const ownQueue = uniqueName('lambda-sample-payments');
  let handler: MelangeLambdaHandler;
  /** The module's own export, bootstrapped at import as in Lambda; closed, as this spec uses one with its own options. */
  let exported: MelangeLambdaHandler;

  beforeAll(async () => {
    if (!process.env[SQS_ENDPOINT_ENV]) throw new Error(`${SQS_ENDPOINT_ENV} is not set: run through jest.config.js`);
    const sample = await import('../../sample-app/src/payments/payments.lambda');
    exported = sample.handler;
    await exported.close();
    const { createPaymentsHandler } = sample;
    handler = createPaymentsHandler({ bootstrap: 'first-invocation', sqs: localSqsClientOptions(), logger: new CapturingLogger() });
  });

  afterAll(async () => {
    await handler.close();
    sqs.destroy();
  });

  it('charges an order placed and answers with no failed record', async () => {
    const app = await handler.ready();
    // Its queues and topics, as a deployment would have created them.
    await app.get(MelangeInfrastructure).declare();
    await sqs.send(new CreateQueueCommand({ QueueName: ownQueue }));
    const events = new EventLog(app.get(MelangeEvents));
    const order = OrderPlaced.of({ orderId: `lambda-${ownQueue}`, customer: 'ada', total: 30, placedAt: new Date() });
    await app.get(MelangePublisher).publish(order, { queue: ownQueue });
    const event = await receiveSqsEvent(sqs, ownQueue, 1);
    const record = { ...event.Records[0]!, eventSourceARN: event.Records[0]!.eventSourceARN.replace(ownQueue, PAYMENTS_QUEUE) };

    const response = await handler({ Records: [record] }, lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(events.of('handled').map((handled) => handled.queue)).toEqual([PAYMENTS_QUEUE]);
  });
});
