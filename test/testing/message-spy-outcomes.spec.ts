import 'reflect-metadata';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryIdempotencyStore, Message, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MelangeModuleOptions } from '../../lib';
import { MelangeTestingModule, MessageSpy } from '../../lib/testing';

/*
 * A message can be acknowledged without its handler running: discarded as unroutable, or skipped
 * as a duplicate. A test awaiting 'handled' must not be satisfied by those.
 */

@Message('orders.order-placed', { destination: { queue: 'orders' } })
class OrderPlaced {
  constructor(readonly orderId: string) {}
}

/** No handler on the queue takes it. */
@Message('orders.stray', { destination: { queue: 'orders' } })
class Stray {
  constructor(readonly note: string) {}
}

@Injectable()
@MessageConsumer('orders')
class OrdersConsumer {
  readonly runs: string[] = [];

  @OnMessage()
  async placed(order: OrderPlaced): Promise<void> {
    this.runs.push(order.orderId);
    // Long enough for a second delivery of the same message to arrive while this one runs.
    if (order.orderId === 'slow') await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh idempotency store per app: a shared one would know the other app's messages. */
const options = (): MelangeModuleOptions => ({
  consumers: { unroutable: 'discard', idempotency: { store: new InMemoryIdempotencyStore() } },
});

type Started = { app: INestApplication; spy: MessageSpy };

async function appWithForRoot(): Promise<Started> {
  const moduleRef = await Test.createTestingModule({ imports: [MelangeTestingModule.forRoot(options())], providers: [OrdersConsumer] }).compile();
  const app = await moduleRef.createNestApplication({ logger: false }).init();
  return { app, spy: app.get(MessageSpy) };
}

async function appWithReplacedBackends(): Promise<Started> {
  @Module({ imports: [MelangeModule.forRoot(options())], providers: [OrdersConsumer] })
  class AppModule {}
  const builder = Test.createTestingModule({ imports: [AppModule] });
  const spy = MelangeTestingModule.replaceBackends(builder);
  const app = await (await builder.compile()).createNestApplication({ logger: false }).init();
  return { app, spy };
}

describe.each([
  ['MelangeTestingModule.forRoot', appWithForRoot],
  ['MelangeTestingModule.replaceBackends', appWithReplacedBackends],
])('MessageSpy outcomes with %s', (_how, start) => {
  let app: INestApplication;
  let spy: MessageSpy;

  beforeEach(async () => {
    ({ app, spy } = await start());
  });

  afterEach(() => app.close());

  it('reports a discarded message as discarded, not handled', async () => {
    await app.get(MelangePublisher).publish(new Stray('nobody wants me'));

    const discarded = await spy.waitFor(Stray, () => true, { outcome: 'discarded' });
    expect(discarded.message).toEqual(new Stray('nobody wants me'));
    expect(spy.handled(Stray)).toEqual([]);
    await expect(spy.waitFor(Stray, () => true, { timeoutMs: 50 })).rejects.toThrow(/No orders.stray was handled/);
  });

  it('reports a second delivery of a handled message as a duplicate, and the first as handled', async () => {
    const publisher = app.get(MelangePublisher);
    await publisher.publish(new OrderPlaced('o-1'), { messageId: 'same-id' });
    await spy.waitFor(OrderPlaced);
    await publisher.publish(new OrderPlaced('o-1'), { messageId: 'same-id' });

    const duplicate = await spy.waitFor(OrderPlaced, () => true, { outcome: 'duplicate' });
    expect(duplicate.envelope.messageId).toBe('same-id');
    expect(spy.handled(OrderPlaced)).toHaveLength(1);
    expect(app.get(OrdersConsumer).runs).toEqual(['o-1']);
  });

  it('keeps the outcome of a delivery whose twin, arriving while it runs, is put back', async () => {
    const publisher = app.get(MelangePublisher);
    await Promise.all([
      publisher.publish(new OrderPlaced('slow'), { messageId: 'twin-id' }),
      publisher.publish(new OrderPlaced('slow'), { messageId: 'twin-id' }),
    ]);

    const handled = await spy.waitFor(OrderPlaced);
    expect(handled.envelope.messageId).toBe('twin-id');
    expect(spy.all(OrderPlaced).map((record) => record.outcome).sort()).toEqual(['handled', 'published', 'published', 'retried']);
    expect(app.get(OrdersConsumer).runs).toEqual(['slow']);
  });
});
