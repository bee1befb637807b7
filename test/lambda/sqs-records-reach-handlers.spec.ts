import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ConsumerRegistry, Message, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { lambdaContext, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { receivePlain, uniqueName } from '../support/sqs';

const DIRECT = uniqueName('lambda-direct');
const ENVELOPED = uniqueName('lambda-enveloped');
const RAW = uniqueName('lambda-raw');
const TOPIC = uniqueName('lambda-orders');

@Message('lambda-spec.order-placed')
class OrderPlaced {
  orderId!: string;
  @Type(() => Date) placedAt!: Date;
  describe(): string {
    return `order ${this.orderId} placed ${this.placedAt.toISOString()}`;
  }
}

const seen: string[] = [];

function record(queue: string, order: OrderPlaced, context: MessageContext): void {
  seen.push(`${queue}: ${order.describe()} (${order instanceof OrderPlaced ? 'OrderPlaced' : 'plain'}) #${context.receiveCount} by ${context.attributes.actor ?? '-'}`);
}

@Injectable()
@MessageConsumer(DIRECT)
class DirectConsumer {
  @OnMessage()
  placed(order: OrderPlaced, context: MessageContext): void {
    record('direct', order, context);
  }
}

@Injectable()
@MessageConsumer(ENVELOPED)
class EnvelopedConsumer {
  @OnMessage()
  placed(order: OrderPlaced, context: MessageContext): void {
    record('enveloped', order, context);
  }
}

@Injectable()
@MessageConsumer(RAW)
class RawConsumer {
  @OnMessage()
  placed(order: OrderPlaced, context: MessageContext): void {
    record('raw', order, context);
  }
}

const AppModule = lambdaAppModule(
  {
    infrastructure: {
      queues: [{ name: DIRECT }, { name: ENVELOPED }, { name: RAW }],
      topics: [{ name: TOPIC }],
      subscriptions: [
        { topic: TOPIC, queue: ENVELOPED },
        { topic: TOPIC, queue: RAW, rawDelivery: true },
      ],
    },
  },
  [DirectConsumer, EnvelopedConsumer, RawConsumer],
);

describe('Lambda SQS records from a queue, and from a topic with and without raw delivery', () => {
  const { handler, sqs } = setupLambdaHandler(AppModule);

  it('reach the same @OnMessage handlers as typed instances, and the batch response names no failure', async () => {
    const app = await handler.ready();
    const publisher = app.get(MelangePublisher);
    const placedAt = new Date('2026-11-25T12:00:00Z');
    await publisher.publish(Object.assign(new OrderPlaced(), { orderId: 'q1', placedAt }), { queue: DIRECT }, { attributes: { actor: 'alice' } });
    await publisher.publish(Object.assign(new OrderPlaced(), { orderId: 't1', placedAt }), { topic: TOPIC }, { attributes: { actor: 'bob' } });

    for (const queue of [DIRECT, ENVELOPED, RAW]) {
      const event = await receiveSqsEvent(sqs, queue, 1);
      const response = await handler(event, lambdaContext());
      expect(response).toEqual({ batchItemFailures: [] });
      await settleLikeLambda(sqs, queue, event, response);
    }

    expect(seen).toEqual([
      'direct: order q1 placed 2026-11-25T12:00:00.000Z (OrderPlaced) #1 by alice',
      'enveloped: order t1 placed 2026-11-25T12:00:00.000Z (OrderPlaced) #1 by bob',
      'raw: order t1 placed 2026-11-25T12:00:00.000Z (OrderPlaced) #1 by bob',
    ]);
  });

  it('starts no consumer: the records stay on the queue for Lambda to receive', async () => {
    const app = await handler.ready();
    expect(app.get(ConsumerRegistry).list()).toEqual([]);
    await app.get(MelangePublisher).publish(Object.assign(new OrderPlaced(), { orderId: 'q2', placedAt: new Date() }), { queue: DIRECT });
    const messages = await receivePlain(sqs, DIRECT, 1);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
  });
});
