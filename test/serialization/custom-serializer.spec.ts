import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, JsonSerializer, Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { VersionedJsonSerializer } from './versioned-json.serializer';

/** Messages of the billing context travel in the versioned format; their subclasses inherit the binding. */
class BillingMessage {}

@Message('billing.invoice-issued')
class InvoiceIssued extends BillingMessage {
  invoiceId!: string;
  /** Version 2: in euros. Version 1 had `amountCents`. */
  total!: number;

  isLarge(): boolean {
    return this.total > 100;
  }
}

@Message('orders.order-noted')
class OrderNoted {
  orderId!: string;
}

@Injectable()
@MessageConsumer('billing')
class BillingConsumer {
  readonly received = new Recorder<{ message: unknown; context: MessageContext }>();

  @OnMessage()
  onInvoice(message: InvoiceIssued, context: MessageContext): void {
    this.received.record({ message, context });
  }

  @OnMessage()
  onOrder(message: OrderNoted, context: MessageContext): void {
    this.received.record({ message, context });
  }
}

const versioned = new VersionedJsonSerializer(2, {
  1: ({ amountCents, ...rest }) => ({ ...rest, total: Number(amountCents) / 100 }),
});

describe('a serializer of your own: registered by id, bound to a class hierarchy, read by id', () => {
  let app: INestApplication;
  const backend = new InMemoryBackend();

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          serialization: {
            serializers: { json: new JsonSerializer(), versioned },
            bindings: [{ message: BillingMessage, serializer: 'versioned' }],
            defaultSerializer: 'json',
          },
        }),
      ],
      providers: [BillingConsumer],
    }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterEach(() => app.close());

  it('writes a bound subclass with it, and the consumer reads it back as an instance', async () => {
    const invoice = Object.assign(new InvoiceIssued(), { invoiceId: 'inv-1', total: 250 });
    await app.get(MelangePublisher).publish(invoice, { queue: 'billing' });
    const [{ message, context }] = await app.get(BillingConsumer).received.waitFor(1);
    expect(context.envelope.serializerId).toBe(7);
    expect(JSON.parse(context.envelope.payload)).toEqual({ v: 2, data: { invoiceId: 'inv-1', total: 250 } });
    expect(message).toBeInstanceOf(InvoiceIssued);
    expect((message as InvoiceIssued).isLarge()).toBe(true);
  });

  it('upcasts a payload an older publisher wrote in version 1', async () => {
    await backend.send('billing', {
      payload: JSON.stringify({ v: 1, data: { invoiceId: 'inv-old', amountCents: 1999 } }),
      manifest: 'billing.invoice-issued',
      serializerId: 7,
      messageId: 'old-1',
      attributes: {},
    });
    const [{ message }] = await app.get(BillingConsumer).received.waitFor(1);
    expect(message).toBeInstanceOf(InvoiceIssued);
    expect(message).toMatchObject({ invoiceId: 'inv-old', total: 19.99 });
  });

  it('leaves classes outside the hierarchy to the default serializer', async () => {
    await app.get(MelangePublisher).publish(Object.assign(new OrderNoted(), { orderId: '42' }), { queue: 'billing' });
    const [{ message, context }] = await app.get(BillingConsumer).received.waitFor(1);
    expect(context.envelope.serializerId).toBe(1);
    expect(message).toBeInstanceOf(OrderNoted);
  });
});
