import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { Message, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { queueUrl, receivePlain, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-backoff');

@Message('lambda-spec.flaky')
class Flaky {
  id!: string;
}

@Injectable()
@MessageConsumer(QUEUE)
class FlakyConsumer {
  @OnMessage()
  handle(message: Flaky): void {
    throw new Error(`downstream unavailable for ${message.id}`);
  }
}

const AppModule = lambdaAppModule(
  {
    // Without the visibility change the record would stay away for the queue's 60 s.
    infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 60 }] },
    // The first retry comes after 1 to 2 s (half fixed, half jitter).
    consumers: { retry: { maxAttempts: 5, initialDelayMs: 2000, maxDelayMs: 2000 } },
  },
  [FlakyConsumer],
);

describe('a record whose handler fails, under Lambda', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it("is reported as failed and comes back after the retry policy's backoff, not the queue's visibility timeout", async () => {
    const app = await handler.ready();
    await app.get(MelangePublisher).publish(Object.assign(new Flaky(), { id: 'f1' }), { queue: QUEUE });
    const event = await receiveSqsEvent(sqs, QUEUE, 1);

    const response = await handler(event, lambdaContext());
    await settleLikeLambda(sqs, QUEUE, event, response);
    const answeredAt = Date.now();

    expect(failedIds(response)).toEqual([event.Records[0]?.messageId]);
    const url = await queueUrl(sqs, QUEUE);
    const early = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 0 }));
    expect(early.Messages ?? []).toHaveLength(0);
    const [again] = await receivePlain(sqs, QUEUE, 1, 6000);
    expect(again?.MessageId).toBe(event.Records[0]?.messageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(Date.now() - answeredAt).toBeLessThan(5000);
  });
});
