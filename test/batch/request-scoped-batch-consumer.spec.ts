import 'reflect-metadata';
import { Inject, Injectable, Scope, type INestApplication } from '@nestjs/common';
import { REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessageBatch, type MessageContext } from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { Item, items } from './batch-harness';

const instances = new Recorder<{ instance: object; requestIds: string[]; contextIds: string[] }>();

@Injectable({ scope: Scope.REQUEST })
@MessageConsumer('scoped')
class ScopedConsumer {
  constructor(@Inject(REQUEST) private readonly request: MessageContext[]) {}

  @OnMessageBatch(Item, { maxSize: 3, maxWaitMs: 1000 })
  handle(_: Item[], contexts: MessageContext[]): void {
    instances.record({
      instance: this,
      requestIds: this.request.map((context) => context.messageId),
      contextIds: contexts.map((context) => context.messageId),
    });
  }
}

describe('a request-scoped consumer with a batch handler', () => {
  let app: INestApplication;

  afterEach(() => app.close());

  it('gets an instance per batch, whose REQUEST is the batch of MessageContexts', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [MelangeModule.forRoot({})], providers: [ScopedConsumer] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    const events = new EventLog(app.get(MelangeEvents));
    await app.init();
    const publisher = app.get(MelangePublisher);

    const ids = await Promise.all(items(6).map(async (item) => (await publisher.publish(item, { queue: 'scoped' })).messageId));
    await Promise.all(ids.map((id) => events.waitFor('handled', id)));

    const [first, second] = instances.items;
    expect(instances.items).toHaveLength(2);
    expect(first!.instance).not.toBe(second!.instance);
    for (const { requestIds, contextIds } of instances.items) expect(requestIds).toEqual(contextIds);
    expect([...first!.contextIds, ...second!.contextIds].sort()).toEqual([...ids].sort());
  });
});
