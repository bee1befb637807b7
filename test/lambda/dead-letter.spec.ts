import 'reflect-metadata';
import { Injectable, ValidationPipe } from '@nestjs/common';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { IsPositive } from 'class-validator';
import { Message, MelangePublisher, MessageConsumer, NonRetryableError, OnMessage, Payload } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { queueUrl, receivePlain, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-dl');
const DLQ = `${QUEUE}-dlq`;
const NO_DLQ = uniqueName('lambda-no-dlq');

@Message('lambda-spec.refund')
class Refund {
  @IsPositive() amount!: number;
  kind!: 'fine' | 'forbidden' | 'flaky';
}

@Message('lambda-spec.audit')
class Audit {
  text!: string;
}

@Injectable()
@MessageConsumer(QUEUE)
class RefundsConsumer {
  readonly handled: number[] = [];

  @OnMessage({ retry: { maxAttempts: 1 } })
  refund(@Payload(new ValidationPipe()) refund: Refund): void {
    if (refund.kind === 'forbidden') throw new NonRetryableError('refunds to closed accounts are forbidden');
    if (refund.kind === 'flaky') throw new Error('bank timeout');
    this.handled.push(refund.amount);
  }
}

@Injectable()
@MessageConsumer(NO_DLQ)
class AuditConsumer {
  @OnMessage()
  audit(_: Audit): void {
    throw new NonRetryableError('audit entries are read-only');
  }
}

const AppModule = lambdaAppModule(
  { infrastructure: { queues: [{ name: QUEUE, deadLetterQueue: DLQ, visibilityTimeout: 60 }, { name: DLQ }, { name: NO_DLQ, visibilityTimeout: 60 }] } },
  [RefundsConsumer, AuditConsumer],
);

describe('records that cannot be handled, under Lambda', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it("are copied to the queue's dead-letter queue with the reason, and reported as handled", async () => {
    const app = await handler.ready();
    const publisher = app.get(MelangePublisher);
    const refund = (amount: number, kind: Refund['kind']) => Object.assign(new Refund(), { amount, kind });
    await publisher.publish(refund(10, 'fine'), { queue: QUEUE });
    await publisher.publish(refund(-5, 'fine'), { queue: QUEUE }, { attributes: { case: 'invalid' } });
    await publisher.publish(refund(20, 'forbidden'), { queue: QUEUE }, { attributes: { case: 'non-retryable' } });
    await publisher.publish(refund(30, 'flaky'), { queue: QUEUE }, { attributes: { case: 'exhausted' } });
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrl(sqs, QUEUE),
        MessageBody: '{"Message": "{not json"}',
        MessageAttributes: { manifest: { DataType: 'String', StringValue: 'lambda-spec.refund' }, case: { DataType: 'String', StringValue: 'undecodable' } },
      }),
    );
    const event = await receiveSqsEvent(sqs, QUEUE, 5);

    const response = await handler(event, lambdaContext());
    await settleLikeLambda(sqs, QUEUE, event, response);

    expect(failedIds(response)).toEqual([]);
    expect(app.get(RefundsConsumer).handled).toEqual([10]);
    const copies = await receivePlain(sqs, DLQ, 4);
    const reasons = Object.fromEntries(
      copies.map((copy) => [copy.MessageAttributes?.case?.StringValue, copy.MessageAttributes?.melange_dead_letter_reason?.StringValue]),
    );
    expect(reasons).toEqual({
      invalid: expect.stringMatching(/RefundsConsumer\.refund failed on attempt 1: Bad Request Exception: amount must be a positive number \(not retryable\)/),
      'non-retryable': 'RefundsConsumer.refund failed on attempt 1: refunds to closed accounts are forbidden (not retryable)',
      exhausted: 'RefundsConsumer.refund failed on attempt 1: bank timeout (no attempts left of 1)',
      undecodable: expect.stringMatching(/^cannot be handled: /),
    });
    expect(copies.map((copy) => copy.MessageAttributes?.melange_source_queue?.StringValue)).toEqual([QUEUE, QUEUE, QUEUE, QUEUE]);
    const undecodable = copies.find((copy) => copy.MessageAttributes?.case?.StringValue === 'undecodable');
    expect(undecodable?.Body).toBe('{"Message": "{not json"}');
    expect(await receivePlain(sqs, QUEUE, 1, 1000)).toEqual([]);
  });

  it('are reported as failed when their queue has no dead-letter queue, for SQS to deliver again', async () => {
    const app = await handler.ready();
    await app.get(MelangePublisher).publish(Object.assign(new Audit(), { text: 'login' }), { queue: NO_DLQ });
    const event = await receiveSqsEvent(sqs, NO_DLQ, 1);

    const response = await handler(event, lambdaContext());

    expect(failedIds(response)).toEqual([event.Records[0]?.messageId]);
  });
});
