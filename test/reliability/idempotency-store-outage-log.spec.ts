import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessage, type IdempotencyStore } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { Recorder } from '../support/recorder';

class Ship {}

@Injectable()
@MessageConsumer('shipping')
class ShipConsumer {
  @OnMessage()
  async run(_: Ship): Promise<void> {}
}

/** Redis that is down until the spec brings it back. */
class SwitchedStore implements IdempotencyStore {
  readonly claims = new Recorder<string>();
  private down = true;

  up(): void {
    this.down = false;
  }

  async begin(key: string): Promise<'started'> {
    this.claims.record(key);
    if (this.down) throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
    return 'started';
  }
  async complete(): Promise<void> {}
  async abandon(): Promise<void> {}
}

const MESSAGES = 5;

describe('an idempotency store outage, in the log', () => {
  it('is one line when it starts and one when the store answers, however many messages wait and however often they ask', async () => {
    const logger = new CapturingLogger();
    const store = new SwitchedStore();
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ backends: { default: new InMemoryBackend() }, consumers: { idempotency: { store } } })],
      providers: [ShipConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    const handled = new Recorder<string>();
    app.get(MelangeEvents).on('handled', (event) => handled.record(event.messageId));

    for (let n = 0; n < MESSAGES; n++) await app.get(MelangePublisher).publish(new Ship(), { queue: 'shipping' });
    // Each message asks three times on average (at 0, 100 and 300 ms) before the store is back.
    await store.claims.waitFor(MESSAGES * 3);
    store.up();
    await handled.waitFor(MESSAGES);
    await app.close();

    const aboutTheStore = logger.lines.filter((line) => line.message.includes('idempotency store'));
    expect(aboutTheStore).toEqual([
      { level: 'warn', message: expect.stringMatching(/^The idempotency store failed \(Error: connect ECONNREFUSED 127\.0\.0\.1:6379\), first for Message /) },
      { level: 'log', message: expect.stringMatching(new RegExp(`^The idempotency store answers again after \\d+ ms; ${MESSAGES} message\\(s\\) waited on it meanwhile\\.$`)) },
    ]);
  });
});
