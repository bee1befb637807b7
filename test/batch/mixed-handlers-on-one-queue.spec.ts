import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Message, MessageConsumer, OnMessage, OnMessageBatch, type MessageContext } from '../../lib';
import { Recorder } from '../support/recorder';
import { BACKENDS, BatchHarness, Item, items } from './batch-harness';

@Message('batch.note')
class Note {
  text!: string;
}

function consumerOf(queue: string) {
  @Injectable()
  @MessageConsumer(queue)
  class MixedConsumer {
    readonly calls = new Recorder<string>();

    @OnMessageBatch(Item, { maxSize: 3, maxWaitMs: 1000 })
    items(batch: Item[]): void {
      this.calls.record(`items ${batch.map((item) => item.id).sort().join(',')}`);
    }

    @OnMessage()
    note(note: Note, context: MessageContext): void {
      this.calls.record(`note ${note.text} #${context.receiveCount}`);
    }
  }
  return MixedConsumer;
}

describe.each(BACKENDS)('one queue on %s with a batch handler and a per-message handler', (kind) => {
  let harness: BatchHarness;
  afterEach(() => harness.close());

  it('routes each type to its handler: notes one by one, items together', async () => {
    harness = new BatchHarness(kind, 'batch-mixed');
    const notes = ['a', 'b'].map((text) => Object.assign(new Note(), { text }));
    const ids = await harness.publish([...items(3), ...notes]);
    const Consumer = consumerOf(harness.queue);
    const { app, events } = await harness.start({ providers: [Consumer] });

    await Promise.all(ids.map((id) => events.waitFor('handled', id, 10_000)));

    expect(app.get(Consumer).calls.items.sort()).toEqual(['items 0,1,2', 'note a #1', 'note b #1']);
  });
});
