import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Type } from 'class-transformer';
import { Message, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { LambdaSnsRecordFailedError } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule, setupLambdaHandler } from '../support/lambda-app';
import { lambdaContext, receiveSnsEvent } from '../support/lambda-events';
import { uniqueName } from '../support/sqs';

const TOPIC = uniqueName('lambda-sns-orders');
const UNROUTED_TOPIC = uniqueName('lambda-sns-unrouted');
/** Stands in for SNS's Lambda subscription: a queue without raw delivery receives the same notification. */
const CAPTURE = uniqueName('lambda-sns-capture');
const UNROUTED_CAPTURE = uniqueName('lambda-sns-capture-unrouted');
const NOTIFY = uniqueName('lambda-sns-notify');

@Message('lambda-spec.order-shipped')
class OrderShipped {
  orderId!: string;
  @Type(() => Date) shippedAt!: Date;
}

@Injectable()
@MessageConsumer(NOTIFY)
class NotifyConsumer {
  readonly seen: string[] = [];

  @OnMessage()
  shipped(order: OrderShipped, context: MessageContext): void {
    if (order.orderId === 'lost') throw new Error('carrier unknown');
    this.seen.push(`${order.orderId} ${order.shippedAt.toISOString()} ${order instanceof OrderShipped} ${context.attributes.carrier}`);
  }
}

@Injectable()
@MessageConsumer(uniqueName('lambda-sns-other'))
class OtherConsumer {
  @OnMessage()
  shipped(order: OrderShipped): void {
    throw new Error(`the other consumer must not get ${order.orderId}`);
  }
}

const AppModule = lambdaAppModule(
  {
    infrastructure: {
      topics: [{ name: TOPIC }, { name: UNROUTED_TOPIC }],
      queues: [{ name: CAPTURE }, { name: UNROUTED_CAPTURE }],
      subscriptions: [
        { topic: TOPIC, queue: CAPTURE },
        { topic: UNROUTED_TOPIC, queue: UNROUTED_CAPTURE },
      ],
    },
  },
  [NotifyConsumer, OtherConsumer],
);

describe('SNS events', () => {
  const logger = new CapturingLogger();
  const { handler, sqs } = setupLambdaHandler(AppModule, { snsTopics: { [TOPIC]: NOTIFY }, logger });

  async function publish(topic: string, orderId: string): Promise<void> {
    const order = Object.assign(new OrderShipped(), { orderId, shippedAt: new Date('2026-12-01T08:00:00Z') });
    await (await handler.ready()).get(MelangePublisher).publish(order, { topic }, { attributes: { carrier: 'dhl' } });
  }

  it("reach the handlers of the queue the topic is mapped to, as typed instances", async () => {
    await publish(TOPIC, 'o-1');
    const event = await receiveSnsEvent(sqs, CAPTURE);

    await expect(handler(event, lambdaContext())).resolves.toEqual({ batchItemFailures: [] });

    expect((await handler.ready()).get(NotifyConsumer).seen).toEqual(['o-1 2026-12-01T08:00:00.000Z true dhl']);
  });

  it("fail the invocation when the handler fails, so that Lambda's retries apply", async () => {
    await publish(TOPIC, 'lost');
    const event = await receiveSnsEvent(sqs, CAPTURE);

    await expect(handler(event, lambdaContext())).rejects.toBeInstanceOf(LambdaSnsRecordFailedError);
  });

  it('fail the invocation, naming the queues handled, when no consumer takes the topic', async () => {
    await publish(UNROUTED_TOPIC, 'o-2');
    const event = await receiveSnsEvent(sqs, UNROUTED_CAPTURE);

    await expect(handler(event, lambdaContext())).rejects.toBeInstanceOf(LambdaSnsRecordFailedError);

    const line = logger.messages('error').find((message) => message.includes(`topic "${UNROUTED_TOPIC}"`));
    expect(line).toContain(`queues handled: "${NOTIFY}", "`);
    expect(line).toContain(`snsTopics: { '${UNROUTED_TOPIC}': '<queue>' }`);
  });
});
