import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, Message, MelangeModule, MelangePublisher } from '../../lib';

@Message('shipping.parcel-sent', { destination: { topic: 'shipping-events' } })
class ParcelSent {
  constructor(readonly parcelId: string) {}
}

@Message('shipping.label-printed', { destination: { queue: 'labels' } })
class LabelPrinted {
  constructor(readonly labelId: string) {}
}

describe('default destinations', () => {
  async function setUp(destinations = {}) {
    const backend = new InMemoryBackend();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { subscriptions: [{ topic: 'shipping-events', queue: 'tracking' }] },
          ...destinations,
        }),
      ],
    }).compile();
    const app = await moduleRef.createNestApplication().init();
    return { app, backend, publisher: app.get(MelangePublisher) };
  }

  it('come from @Message(..., { destination }) when the caller names none', async () => {
    const { app, backend, publisher } = await setUp();

    await publisher.publish(new ParcelSent('p1'));
    await publisher.publish(new LabelPrinted('l1'));

    expect(backend.waitingIn('tracking').map((e) => e.manifest)).toEqual(['shipping.parcel-sent']);
    expect(backend.waitingIn('labels').map((e) => e.manifest)).toEqual(['shipping.label-printed']);
    await app.close();
  });

  it('from module options win over the decorator, and an explicit destination wins over both', async () => {
    const { app, backend, publisher } = await setUp({ destinations: [{ message: LabelPrinted, destination: { queue: 'printing' } }] });

    await publisher.publish(new LabelPrinted('l1'));
    await publisher.publish(new LabelPrinted('l2'), { queue: 'elsewhere' });
    await publisher.publish(new LabelPrinted('l3'), { attributes: { printer: 'p7' } });

    expect(backend.waitingIn('printing').map((e) => JSON.parse(e.payload))).toEqual([{ labelId: 'l1' }, { labelId: 'l3' }]);
    expect(backend.waitingIn('printing')[1].attributes).toEqual({ printer: 'p7' });
    expect(backend.waitingIn('elsewhere').map((e) => JSON.parse(e.payload))).toEqual([{ labelId: 'l2' }]);
    expect(backend.waitingIn('labels')).toEqual([]);
    await app.close();
  });
});
