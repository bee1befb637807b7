import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InMemoryIdempotencyStore,
  MelangeEvents,
  MelangeModule,
  MelangePublisher,
  MessageConsumer,
  OnMessageBatch,
  type BatchResult,
  type MessageContext,
} from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { Item } from './batch-harness';

@Injectable()
@MessageConsumer('items')
class ItemsConsumer {
  readonly batches = new Recorder<string>();

  @OnMessageBatch(Item, { maxSize: 3, maxWaitMs: 200 })
  handle(batch: Item[], contexts: MessageContext[]): BatchResult {
    this.batches.record(batch.map((item, index) => `${item.id}#${contexts[index]!.receiveCount}`).join(' '));
    // Item 2 fails its first attempt: its claim must be given up, or its retry would wait out the lease.
    return { failures: contexts.flatMap(({ messageId, receiveCount }, index) => (batch[index]!.id === 2 && receiveCount === 1 ? [{ messageId }] : [])) };
  }
}

describe('idempotency with a batch handler', () => {
  let app: INestApplication;
  let events: EventLog;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          consumers: { retry: { initialDelayMs: 0 }, idempotency: { store: new InMemoryIdempotencyStore(), leaseMs: 60_000 } },
        }),
      ],
      providers: [ItemsConsumer],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    events = new EventLog(app.get(MelangeEvents));
    await app.init();
  });

  afterEach(() => app.close());

  it('claims each message before its batch and completes or abandons each after it', async () => {
    const publisher = app.get(MelangePublisher);
    const publish = (id: number, messageId: string) => publisher.publish(Object.assign(new Item(), { id }), { queue: 'items' }, { messageId });
    await Promise.all([publish(1, 'one'), publish(2, 'two'), publish(3, 'three')]);
    await Promise.all(['one', 'two', 'three'].map((id) => events.waitFor('handled', id, 5000)));

    await Promise.all([publish(1, 'one'), publish(4, 'four')]);
    await Promise.all([events.waitFor('duplicate', 'one'), events.waitFor('handled', 'four')]);

    expect(app.get(ItemsConsumer).batches.items).toEqual(['1#1 2#1 3#1', '2#2', '4#1']);
  });
});
