import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemoryBackend, Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessageBatch } from '../../lib';
import { useInMemoryTracing } from '../support/in-memory-tracing';
import { Recorder, waitFor } from '../support/recorder';

@Message('batch-span.item')
class Item {
  constructor(readonly id: number) {}
}

@Injectable()
@MessageConsumer('batch-span-items')
class ItemsConsumer {
  readonly calls = new Recorder<{ size: number; spanId?: string }>();

  @OnMessageBatch(Item, { maxSize: 3, maxWaitMs: 1_000 })
  handle(items: Item[]): void {
    this.calls.record({ size: items.length, spanId: trace.getActiveSpan()?.spanContext().spanId });
  }
}

/** OpenTelemetry's messaging conventions: a batch is processed in a span of its own, linked to each message's. */
describe('a batch handler under tracing', () => {
  const exporter = useInMemoryTracing();

  it('runs in one "process" span linked to the three messages\' spans, with the batch size', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: new InMemoryBackend() } })],
      providers: [ItemsConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    try {
      await app.get(MelangePublisher).publishBatch([1, 2, 3].map((id) => new Item(id)), { queue: 'batch-span-items' });
      const [call] = await app.get(ItemsConsumer).calls.waitFor(1);
      const isBatchSpan = (span: { spanContext(): { spanId: string } }): boolean => span.spanContext().spanId === call!.spanId;
      await waitFor(() => exporter.getFinishedSpans().some(isBatchSpan), 5_000, 'the batch span to end');

      const spans = exporter.getFinishedSpans();
      const batch = spans.find(isBatchSpan)!;
      const perMessage = spans.filter((span) => span.name === 'process batch-span-items' && !isBatchSpan(span));
      expect(call!.size).toBe(3);
      expect(batch.name).toBe('process batch-span-items');
      expect(batch.kind).toBe(SpanKind.CONSUMER);
      expect(batch.attributes['messaging.batch.message_count']).toBe(3);
      expect(batch.links.map((link) => link.context.spanId).sort()).toEqual(perMessage.map((span) => span.spanContext().spanId).sort());
      expect(perMessage).toHaveLength(3);
    } finally {
      await app.close();
    }
  });
});
