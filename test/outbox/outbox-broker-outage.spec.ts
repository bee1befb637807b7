import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeEvents, MelangeModule, MelangeOutbox, MelangePublisher, Message, MessageConsumer, OnMessage, pgOutboxDatabase, SqsBackend } from '../../lib';
import { EventLog, Recorder, waitFor } from '../support/recorder';
import { TestDatabase } from '../support/postgres';
import { CREDENTIALS, REGION, silentLogger, sqsEndpoint, uniqueName } from '../support/sqs';
import { TcpProxy } from '../support/tcp-proxy';

const QUEUE = uniqueName('outbox-outage');

@Message('outbox.invoice-issued', { destination: { queue: QUEUE } })
class InvoiceIssued {
  constructor(readonly invoice: number) {}
}

@Injectable()
@MessageConsumer(QUEUE)
class Invoices {
  readonly seen = new Recorder<number>();

  @OnMessage()
  issued(message: InvoiceIssued): void {
    this.seen.record(message.invoice);
  }
}

describe('the outbox relay through a broker outage', () => {
  const db = new TestDatabase();
  const proxy = TcpProxy.forUrl(sqsEndpoint());
  let app: INestApplication;

  beforeAll(async () => {
    await db.create();
    await proxy.up();
    const module = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          // Everything the app sends and receives crosses the proxy; the database does not.
          backends: { default: new SqsBackend({ region: REGION, endpoint: proxy.url, credentials: CREDENTIALS, waitTimeSeconds: 1, logger: silentLogger }) },
          infrastructure: { queues: [{ name: QUEUE }] },
          outbox: { database: pgOutboxDatabase(db.pool), schema: db.schema, relay: { retry: { initialDelayMs: 200, maxDelayMs: 1000 } } },
        }),
      ],
      providers: [Invoices],
    }).compile();
    app = module.createNestApplication();
    await app.get(MelangeOutbox).migrate();
    await app.init();
  });

  afterAll(async () => {
    await proxy.up().catch(() => undefined);
    await app?.close();
    await proxy.down();
    await db.close();
  });

  it('keeps every committed message while the broker is unreachable and sends them all after', async () => {
    const log = new EventLog(app.get(MelangeEvents));
    const publisher = app.get(MelangePublisher);
    await proxy.down();

    const invoices = Array.from({ length: 20 }, (_, n) => n);
    for (const invoice of invoices) {
      await db.transaction((client) => publisher.publish(new InvoiceIssued(invoice), { transaction: client }));
    }
    await log.waitFor('outbox-relay-failed', () => true, 20_000);
    expect(log.of('outbox-relayed')).toHaveLength(0);
    expect(await app.get(MelangeOutbox).pending()).toBe(20);

    await proxy.up();
    await app.get(Invoices).seen.waitFor(20, 20_000);

    expect([...new Set(app.get(Invoices).seen.items)].sort((a, b) => a - b)).toEqual(invoices);
    // A message can reach its handler before the relay has recorded it as sent.
    await waitFor(() => log.of('outbox-relayed').length === invoices.length, 10_000, 'every row recorded as sent');
    expect(await app.get(MelangeOutbox).pending()).toBe(0);
    const failed = log.of('outbox-relay-failed');
    expect(failed.every((event) => event.delayMs !== null && event.delayMs <= 1000)).toBe(true);
  });
});
