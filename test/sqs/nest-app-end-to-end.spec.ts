import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, SqsBackend, type MessageContext } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { Recorder } from '../support/recorder';
import { CREDENTIALS, plainSqs, receivePlain, REGION, sqsEndpoint, waitFor } from '../support/sqs';

// Names unique to this spec file: all SQS specs share one server.
const TOPIC = 'e2e-order-events';
const BILLING = 'e2e-billing';
const SHIPPING = 'e2e-shipping';
const AUDIT = 'e2e-audit';

@Message('orders.order-placed', { destination: { topic: TOPIC } })
class OrderPlaced {
  orderId!: string;
  @Type(() => Date) placedAt!: Date;
  describe(): string {
    return `order ${this.orderId}`;
  }
}

@Message('orders.order-cancelled', { destination: { topic: TOPIC } })
class OrderCancelled {
  orderId!: string;
}

@Message('audit.entry')
class AuditEntry {
  text!: string;
}

@Injectable()
@MessageConsumer(BILLING)
class BillingConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  placed(order: OrderPlaced, context: MessageContext): void {
    this.seen.record(`${order.describe()} at ${order.placedAt.toISOString()} #${context.receiveCount}`);
  }

  @OnMessage()
  cancelled(order: OrderCancelled): void {
    this.seen.record(`cancelled ${order.orderId}`);
  }
}

@Injectable()
@MessageConsumer(SHIPPING)
class ShippingConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  placed(order: OrderPlaced): void {
    this.seen.record(`${order.describe()} (${order instanceof OrderPlaced})`);
  }
}

@Injectable()
@MessageConsumer(AUDIT)
class AuditConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  entry(entry: AuditEntry, context: MessageContext): void {
    if (entry.text === 'poison') throw new Error('cannot audit poison');
    this.seen.record(`${entry.text} by ${context.attributes.actor}`);
  }
}

describe('a Nest app on the SQS/SNS backend, end to end', () => {
  let app: INestApplication;
  let logger: CapturingLogger;

  beforeAll(async () => {
    logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRootAsync({
          useFactory: () => ({
            backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1 }) },
            infrastructure: {
              queues: [{ name: BILLING }, { name: SHIPPING }, { name: AUDIT, deadLetterQueue: `${AUDIT}-dlq`, maxReceiveCount: 10 }, { name: `${AUDIT}-dlq` }],
              topics: [{ name: TOPIC }],
              subscriptions: [
                { topic: TOPIC, queue: BILLING },
                { topic: TOPIC, queue: SHIPPING, rawDelivery: true, manifests: ['orders.order-placed'] },
              ],
            },
            consumers: { retry: { maxAttempts: 2, initialDelayMs: 0 } },
          }),
        }),
      ],
      providers: [BillingConsumer, ShippingConsumer, AuditConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger }).init();
  });

  afterAll(() => app.close());

  it('fans a topic publish out to both subscribed queues, as typed instances (SNS envelope on one, raw on the other)', async () => {
    const order = Object.assign(new OrderPlaced(), { orderId: '1', placedAt: new Date('2026-11-25T12:00:00Z') });

    await app.get(MelangePublisher).publish(order);

    expect(await app.get(BillingConsumer).seen.waitFor(1, 10_000)).toEqual(['order 1 at 2026-11-25T12:00:00.000Z #1']);
    expect(await app.get(ShippingConsumer).seen.waitFor(1, 10_000)).toEqual(['order 1 (true)']);
  });

  it('keeps a message type away from a queue whose filter policy does not name it', async () => {
    await app.get(MelangePublisher).publish(Object.assign(new OrderCancelled(), { orderId: '2' }));
    await app.get(MelangePublisher).publish(Object.assign(new OrderPlaced(), { orderId: '3', placedAt: new Date() }));

    await app.get(BillingConsumer).seen.waitFor(3, 10_000);
    await app.get(ShippingConsumer).seen.waitFor(2, 10_000);
    expect(app.get(BillingConsumer).seen.items).toContain('cancelled 2');
    expect(app.get(ShippingConsumer).seen.items).toEqual(['order 1 (true)', 'order 3 (true)']);
  });

  it('sends to a queue with user attributes, and dead-letters a message whose handler keeps failing', async () => {
    const publisher = app.get(MelangePublisher);
    await publisher.publish(Object.assign(new AuditEntry(), { text: 'poison' }), { queue: AUDIT }, { attributes: { actor: 'mallory' } });
    await publisher.publish(Object.assign(new AuditEntry(), { text: 'login' }), { queue: AUDIT }, { attributes: { actor: 'alice' } });

    expect(await app.get(AuditConsumer).seen.waitFor(1, 10_000)).toEqual(['login by alice']);
    const sqs = plainSqs();
    const [dead] = await receivePlain(sqs, `${AUDIT}-dlq`, 1, 15_000);
    sqs.destroy();
    expect(JSON.parse(dead.Body ?? '')).toEqual({ Message: '{"text":"poison"}' });
    expect(dead.MessageAttributes?.actor?.StringValue).toBe('mallory');
    expect(dead.MessageAttributes?.melange_dead_letter_reason?.StringValue).toBe(
      'AuditConsumer.entry failed on attempt 2: cannot audit poison (no attempts left of 2)',
    );
    // The message can reach the dead-letter queue a moment before the line about it is written.
    await waitFor(() => logger.messages('error').some((line) => line.includes(`on queue "${AUDIT}" moved to the dead-letter queue`)), 5000, 'the log line');
  });
});
