import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { InMemoryBackend, Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';

/*
 * Without an OpenTelemetry SDK the library skips its span work; it must notice an SDK registered
 * later (an app may start tracing after Nest boots) and trace from the next message on.
 */

@Message('orders.order-placed')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  readonly seen = new Recorder<{ orderId: string; traced: boolean; attributes: Readonly<Record<string, string>> }>();

  @OnMessage()
  placed(message: OrderPlaced, messageContext: MessageContext): void {
    this.seen.record({ orderId: message.orderId, traced: trace.getActiveSpan() !== undefined, attributes: messageContext.attributes });
  }
}

describe('tracing follows the registration of an OpenTelemetry SDK', () => {
  let app: INestApplication;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: new InMemoryBackend() } })],
      providers: [OrdersConsumer],
    }).compile();
    app = await moduleRef.createNestApplication().init();
  });

  afterAll(async () => {
    trace.disable();
    context.disable();
    propagation.disable();
    await app.close();
  });

  it('adds no trace attributes and opens no span without an SDK, then does both once one is registered', async () => {
    const publisher = app.get(MelangePublisher);
    const { seen } = app.get(OrdersConsumer);

    await publisher.publish(new OrderPlaced('before'), { queue: 'orders' }, { attributes: { tenant: 'acme' } });
    const [untraced] = await seen.waitFor(1);
    expect(untraced).toEqual({ orderId: 'before', traced: false, attributes: { tenant: 'acme' } });

    const exporter = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());

    await publisher.publish(new OrderPlaced('after'), { queue: 'orders' }, { attributes: { tenant: 'acme' } });
    const traced = (await seen.waitFor(2))[1]!;
    expect(traced.orderId).toBe('after');
    expect(traced.traced).toBe(true);
    expect(traced.attributes).toEqual({ tenant: 'acme', traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/) });
    expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('send orders');
  });
});
