import 'reflect-metadata';
import { Inject, Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';

class Ping {
  constructor(readonly from: string) {}
}

const APP_NAME = 'APP_NAME';

@Injectable()
@MessageConsumer('pings')
class PingConsumer {
  readonly seen = new Recorder<string>();

  constructor(@Inject(APP_NAME) private readonly appName: string) {}

  @OnMessage()
  ping(message: Ping, context: MessageContext): void {
    this.seen.record(`${this.appName} got ${message.from} via ${context.attributes.via}`);
  }
}

async function startApp(name: string, backend: InMemoryBackend, queue: string): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({
    imports: [MelangeModule.forRoot({ backends: { default: backend }, destinations: [{ message: Ping, destination: { queue } }] })],
    providers: [PingConsumer, { provide: APP_NAME, useValue: name }],
  }).compile();
  return moduleRef.createNestApplication().init();
}

describe('two Nest applications in one process', () => {
  it('each keeps its own backends, destinations and consumers', async () => {
    const first = new InMemoryBackend();
    const second = new InMemoryBackend();
    const appA = await startApp('A', first, 'pings');
    // B publishes Ping to another queue by default and consumes "pings" on its own broker.
    const appB = await startApp('B', second, 'elsewhere');
    try {
      await appA.get(MelangePublisher).publish(new Ping('a'), undefined, { attributes: { via: 'default' } });
      await appB.get(MelangePublisher).publish(new Ping('b'), { queue: 'pings' }, { attributes: { via: 'explicit' } });
      await appB.get(MelangePublisher).publish(new Ping('b2'), undefined, { attributes: { via: 'default' } });

      expect(await appA.get(PingConsumer).seen.waitFor(1)).toEqual(['A got a via default']);
      expect(await appB.get(PingConsumer).seen.waitFor(1)).toEqual(['B got b via explicit']);
      expect(second.waitingIn('elsewhere').map((envelope) => JSON.parse(envelope.payload))).toEqual([{ from: 'b2' }]);
      expect(first.waitingIn('elsewhere')).toEqual([]);
    } finally {
      await appA.close();
      await appB.close();
    }
  });
});
