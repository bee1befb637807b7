import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InMemoryBackend, MelangeEvents, MelangeModule, MessageConsumer, OnAnyMessage, OnMessage, type Envelope, type MessageContext } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { EventLog, Recorder } from '../support/recorder';

class Known {
  constructor(readonly id: string) {}
}

@Injectable()
@MessageConsumer('inbox')
class InboxConsumer {
  readonly typed = new Recorder<string>();
  readonly foreign = new Recorder<unknown>();

  @OnMessage()
  known(message: Known): void {
    this.typed.record(message.id);
  }

  @OnAnyMessage()
  anything(payload: unknown, context: MessageContext): void {
    this.foreign.record({ payload, manifest: context.manifest });
  }
}

@Injectable()
@MessageConsumer('strict')
class StrictConsumer {
  @OnMessage()
  known(_: Known): void {}
}

const raw = (payload: string, manifest?: string): Envelope => ({ payload, manifest, messageId: `m-${payload.length}`, attributes: {} });

describe('messages no typed handler takes', () => {
  async function start(unroutable?: 'dead-letter' | 'discard') {
    const backend = new InMemoryBackend();
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: backend },
          infrastructure: { queues: [{ name: 'strict', deadLetterQueue: 'strict-dlq' }] },
          consumers: { unroutable },
        }),
      ],
      providers: [InboxConsumer, StrictConsumer],
    }).compile();
    const app: INestApplication = await moduleRef.createNestApplication({ logger }).init();
    return { app, backend, logger };
  }

  it('go to the queue’s @OnAnyMessage handler as plain data: a raw body from a foreign producer, an unknown manifest', async () => {
    const { app, backend } = await start();

    await backend.send('inbox', raw('{"orderId":"7"}'));
    await backend.send('inbox', raw('{"x":1}', 'something.else'));
    await backend.send('inbox', { ...raw('{"id":"k"}', 'Known'), serializerId: 1 });

    expect(await app.get(InboxConsumer).foreign.waitFor(2)).toEqual([
      { payload: { orderId: '7' }, manifest: undefined },
      { payload: { x: 1 }, manifest: 'something.else' },
    ]);
    expect(await app.get(InboxConsumer).typed.waitFor(1)).toEqual(['k']);
    await app.close();
  });

  it('are dead-lettered by default where the queue has no catch-all', async () => {
    const { app, backend } = await start();
    const events = new EventLog(app.get(MelangeEvents));

    await backend.send('strict', raw('{"a":1}', 'unknown.type'));
    await events.waitFor('dead-lettered', 'm-7');

    expect(backend.waitingIn('strict-dlq')[0].attributes.melange_dead_letter_reason).toMatch(/No handler on queue "strict" for message "unknown.type"/);
    await app.close();
  });

  it('are deleted with a warning naming them when consumers.unroutable is "discard"', async () => {
    const { app, backend, logger } = await start('discard');
    const discarded = new Recorder<string>();
    app.get(MelangeEvents).on('discarded', (event) => discarded.record(event.messageId));

    await backend.send('strict', raw('{"a":1}', 'unknown.type'));
    await discarded.waitFor(1);

    expect(backend.waitingIn('strict')).toEqual([]);
    expect(backend.inFlightIn('strict')).toBe(0);
    expect(backend.waitingIn('strict-dlq')).toEqual([]);
    expect(logger.messages('warn')).toEqual([
      expect.stringMatching(/^Message m-7 \(unknown.type\) on queue "strict" cannot be handled: No handler .*; discarded, as consumers.unroutable is 'discard'$/),
    ]);
    await app.close();
  });
});
