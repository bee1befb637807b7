import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MelangeModule, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { CapturingLogger } from '../support/capturing-logger';
import { CREDENTIALS, REGION, RequestLog, plainSns, plainSqs, sqsEndpoint, waitFor } from '../support/sqs';

class Ping {}

@Injectable()
@MessageConsumer('idle-close')
class IdleConsumer {
  @OnMessage()
  ping(_: Ping): void {}
}

/*
 * Rolling deploys stop every pod: with a consumer waiting in a 20 s long poll (the default),
 * app.close() used to wait the poll out.
 */
describe('closing an app whose consumer is idle', () => {
  it('returns in well under a second with the default 20 s long poll, and says nothing untrue', async () => {
    const log = new RequestLog();
    const clients = { sqs: plainSqs(), polling: plainSqs(), sns: plainSns() };
    log.attach(clients.polling, 'polling');
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, clients, logger }) },
          infrastructure: { queues: [{ name: 'idle-close' }] },
        }),
      ],
      providers: [IdleConsumer],
    }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    await waitFor(() => log.count('polling:ReceiveMessage') >= 1, 5000, 'the first long poll');

    const started = Date.now();
    await app.close();
    const tookMs = Date.now() - started;
    for (const client of Object.values(clients)) client.destroy();

    expect(tookMs).toBeLessThan(1000);
    expect(logger.messages('warn')).toEqual([]);
    expect(logger.messages('error')).toEqual([]);
  });
});
