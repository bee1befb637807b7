import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeEvents, MelangeModule, MelangePublisher, MessageConsumer, OnMessageBatch, type MessageContext } from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { Item, items } from './batch-harness';

const TIMEOUT_MS = 100;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

@Injectable()
@MessageConsumer('patient')
class PatientConsumer {
  // Gathering takes longer than the handler timeout; only the call counts.
  @OnMessageBatch(Item, { maxSize: 10, maxWaitMs: 3 * TIMEOUT_MS })
  async handle(): Promise<void> {
    await pause(10);
  }
}

@Injectable()
@MessageConsumer('slow')
class SlowConsumer {
  readonly ended = new Recorder<number>();

  @OnMessageBatch(Item, { maxSize: 2, maxWaitMs: 0 })
  async handle(batch: Item[], contexts: MessageContext[]): Promise<void> {
    if (contexts.some((context) => context.receiveCount === 1)) await pause(3 * TIMEOUT_MS);
    this.ended.record(batch.length);
  }
}

describe('consumers.handlerTimeoutMs with a batch handler', () => {
  let app: INestApplication;
  let events: EventLog;
  let publisher: MelangePublisher;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MelangeModule.forRoot({ consumers: { handlerTimeoutMs: TIMEOUT_MS, retry: { initialDelayMs: 0 } } })],
      providers: [PatientConsumer, SlowConsumer],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    events = new EventLog(app.get(MelangeEvents));
    await app.init();
    publisher = app.get(MelangePublisher);
  });

  afterEach(() => app.close());

  it('counts from the call, not from the first message waiting for its batch', async () => {
    const ids = await Promise.all(items(2).map(async (item) => (await publisher.publish(item, { queue: 'patient' })).messageId));
    await Promise.all(ids.map((id) => events.waitFor('handled', id)));

    expect(events.of('retried')).toEqual([]);
  });

  it('fails every message of a call that runs past it, and retries them', async () => {
    const ids = await Promise.all(items(2).map(async (item) => (await publisher.publish(item, { queue: 'slow' })).messageId));
    const retried = await Promise.all(ids.map((id) => events.waitFor('retried', id)));
    await Promise.all(ids.map((id) => events.waitFor('handled', id)));

    expect(retried.every(({ reason }) => reason.includes(`handler did not finish within ${TIMEOUT_MS} ms`))).toBe(true);
    expect(retried.every(({ durationMs }) => durationMs < 3 * TIMEOUT_MS)).toBe(true);
  });
});
