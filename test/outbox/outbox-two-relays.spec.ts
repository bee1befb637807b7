import 'reflect-metadata';
import { Injectable, type INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  MelangeEvents,
  MelangeModule,
  MelangeOutbox,
  MelangePublisher,
  Message,
  MessageConsumer,
  OnMessage,
  pgOutboxDatabase,
  SqsBackend,
  type MessageContext,
  type OutboxRelayOptions,
} from '../../lib';
import { EventLog, Recorder } from '../support/recorder';
import { TestDatabase } from '../support/postgres';
import { CREDENTIALS, plainSqs, receivePlain, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('outbox-shared');
const FIFO_QUEUE = uniqueName('outbox-groups', true);

@Message('outbox.row-copied')
class RowCopied {
  constructor(readonly n: number) {}
}

@Message('outbox.step-taken', { destination: { queue: FIFO_QUEUE } })
class StepTaken {
  constructor(
    readonly group: string,
    readonly step: number,
  ) {}
}

@Injectable()
@MessageConsumer(FIFO_QUEUE)
class Steps {
  readonly seen = new Recorder<string>();

  @OnMessage()
  taken(message: StepTaken, context: MessageContext): void {
    this.seen.record(`${context.groupId ?? '?'}:${message.group}:${message.step}`);
  }
}

describe('two relays sharing one outbox', () => {
  const db = new TestDatabase();
  const sqs = plainSqs();
  const apps: INestApplicationContext[] = [];

  beforeAll(() => db.create());

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db.close();
    sqs.destroy();
  });

  async function start(options: { relay: boolean | OutboxRelayOptions; consume?: boolean }): Promise<{ app: INestApplicationContext; log: EventLog }> {
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { default: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: QUEUE }, { name: FIFO_QUEUE, fifo: true }] },
          startConsumers: options.consume ?? false,
          outbox: { database: pgOutboxDatabase(db.pool), schema: db.schema, relay: options.relay === true ? {} : options.relay },
        }),
      ],
      providers: options.consume ? [Steps] : [],
    }).compile();
    apps.push(module);
    const log = new EventLog(module.get(MelangeEvents));
    await module.get(MelangeOutbox).migrate();
    await module.init();
    return { app: module, log };
  }

  it('deliver each of 5,000 committed messages, sharing the work', async () => {
    const { app: writer } = await start({ relay: false });
    const publisher = writer.get(MelangePublisher);
    const total = 5000;
    const stored = await db.transaction((client) =>
      publisher.publishBatch(Array.from({ length: total }, (_, n) => new RowCopied(n)), { queue: QUEUE }, { transaction: client }),
    );

    const [first, second] = await Promise.all([start({ relay: true }), start({ relay: true })]);
    const received = await receivePlain(sqs, QUEUE, total, 60_000);
    const ids = received.map((message) => message.MessageAttributes?.melange_message_id?.StringValue);

    expect(new Set(ids)).toEqual(new Set(stored.map((result) => result.messageId)));
    expect(ids).toHaveLength(total);
    // Received messages stay invisible for the queue's visibility timeout, so any further one is a repeat.
    expect(await receivePlain(sqs, QUEUE, 1, 1500)).toEqual([]);
    const byFirst = first.log.of('outbox-relayed').length;
    const bySecond = second.log.of('outbox-relayed').length;
    expect(byFirst + bySecond).toBe(total);
    expect(byFirst).toBeGreaterThan(0);
    expect(bySecond).toBeGreaterThan(0);
    expect([...first.log.of('outbox-relayed'), ...second.log.of('outbox-relayed')].filter((event) => event.possibleDuplicate)).toEqual([]);
    expect(await writer.get(MelangeOutbox).pending()).toBe(0);
  }, 90_000);

  it('keep each FIFO group in commit order, whichever relay sends which message', async () => {
    const { app: consumer } = await start({ relay: false, consume: true });
    const publisher = consumer.get(MelangePublisher);
    const groups = ['a', 'b', 'c'];
    const steps = 30;
    // Transactions interleave the groups; the backlog then meets three relays taking small batches.
    for (let step = 0; step < steps; step++) {
      for (const group of groups) {
        await db.transaction((client) => publisher.publish(new StepTaken(group, step), { groupId: group, transaction: client }));
      }
    }
    await Promise.all([1, 2, 3].map(() => start({ relay: { batchSize: 4 } })));

    const seen = await consumer.get(Steps).seen.waitFor(groups.length * steps, 30_000);
    for (const group of groups) {
      const order = seen.filter((entry) => entry.startsWith(`${group}:`)).map((entry) => Number(entry.split(':')[2]));
      expect(order).toEqual(Array.from({ length: steps }, (_, step) => step));
    }
  }, 60_000);
});
