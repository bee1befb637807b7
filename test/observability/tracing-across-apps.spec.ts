import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemoryBackend, Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { useInMemoryTracing } from '../support/in-memory-tracing';
import { Recorder, waitFor } from '../support/recorder';

@Message('orders.order-placed')
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  readonly seen = new Recorder<{ traceId?: string; attributes: Readonly<Record<string, string>> }>();

  @OnMessage()
  placed(_: OrderPlaced, messageContext: MessageContext): void {
    this.seen.record({ traceId: trace.getActiveSpan()?.spanContext().traceId, attributes: messageContext.attributes });
  }
}

describe('OpenTelemetry tracing', () => {
  const exporter = useInMemoryTracing();

  it('a publish in one app and its handling in another share a trace, linked producer → consumer', async () => {
    // Two applications on one broker, as two services would be.
    const broker = new InMemoryBackend();
    const producerRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot({ backends: { default: broker } })] }).compile();
    const consumerRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: broker } })],
      providers: [OrdersConsumer],
    }).compile();
    const producer: INestApplication = await producerRef.createNestApplication().init();
    const consumer: INestApplication = await consumerRef.createNestApplication().init();

    try {
      const { messageId } = await producer.get(MelangePublisher).publish(new OrderPlaced('1'), { queue: 'orders' });
      const [handled] = await consumer.get(OrdersConsumer).seen.waitFor(1);
      // The process span ends once the message is settled, just after the handler returns.
      await waitFor(() => exporter.getFinishedSpans().some((span) => span.name === 'process orders'), 5000, 'the "process orders" span to end');

      const spans = exporter.getFinishedSpans();
      const send = spans.find((span) => span.name === 'send orders');
      const process = spans.find((span) => span.name === 'process orders');
      expect(send?.kind).toBe(SpanKind.PRODUCER);
      expect(process?.kind).toBe(SpanKind.CONSUMER);
      expect(process?.spanContext().traceId).toBe(send?.spanContext().traceId);
      expect(handled.traceId).toBe(send?.spanContext().traceId);
      expect(process?.links.map((link) => link.context.spanId)).toEqual([send?.spanContext().spanId]);
      expect(process?.attributes).toEqual({
        'messaging.system': 'in_memory',
        'messaging.destination.name': 'orders',
        'messaging.operation.type': 'process',
        'messaging.operation.name': 'process',
        'messaging.message.id': messageId,
      });
      // The trace context travels as one message attribute (two with vendor tracestate).
      expect(handled.attributes.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    } finally {
      await producer.close();
      await consumer.close();
    }
  });
});
