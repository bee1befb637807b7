import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  ConsumerRegistry,
  InMemoryBackend,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessage,
} from '../../lib';
import { Recorder } from '../support/recorder';
import { DuplicateMelangeModuleError } from '../../lib/errors';

class Tick {}

@Injectable()
@MessageConsumer('ticks')
class TickConsumer {
  readonly seen = new Recorder<string>();

  @OnMessage()
  tick(_: Tick, context: { messageId: string }): void {
    this.seen.record(context.messageId);
  }
}

describe('MelangeModule.forRoot imported by several modules', () => {
  it('fails app.init() naming the modules that import it, when each import is a module of its own', async () => {
    @Module({ imports: [MelangeModule.forRoot({ backends: { memory: new InMemoryBackend() } })], providers: [TickConsumer] })
    class OrdersModule {}
    @Module({ imports: [MelangeModule.forRoot({ backends: { memory: new InMemoryBackend() } })] })
    class BillingModule {}

    const moduleRef = await Test.createTestingModule({ imports: [OrdersModule, BillingModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });

    await expect(app.init()).rejects.toThrow(DuplicateMelangeModuleError);
    await expect(moduleRef.createNestApplication({ logger: false }).init()).rejects.toThrow(
      /^MelangeModule.forRoot is imported by OrdersModule, BillingModule: each import would start every consumer of the application again/,
    );
  });

  it('runs one consumer per queue when the modules import one forRoot module', async () => {
    const melange = MelangeModule.forRoot({ backends: { memory: new InMemoryBackend() } });
    @Module({ imports: [melange], providers: [TickConsumer] })
    class OrdersModule {}
    @Module({ imports: [melange] })
    class BillingModule {}

    const moduleRef = await Test.createTestingModule({ imports: [OrdersModule, BillingModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger: false }).init();
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new Tick(), { queue: 'ticks' });
    const last = await publisher.publish(new Tick(), { queue: 'ticks' });
    const seen = app.get(TickConsumer).seen;
    await seen.waitFor(2);
    const consumers = app.get(ConsumerRegistry).list();
    await app.close();

    expect(consumers.map(({ backend, queue }) => ({ backend, queue }))).toEqual([{ backend: 'memory', queue: 'ticks' }]);
    expect(seen.items).toHaveLength(2);
    expect(seen.items.at(-1)).toBe(last.messageId);
  });
});
