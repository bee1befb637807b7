import 'reflect-metadata';
import { Injectable, type INestApplication } from '@nestjs/common';
import { HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { MelangeInfrastructure, MelangeModule, MessageConsumer, OnMessage, SqsBackend } from '../../lib';
import { startLocalSqsServer, type LocalSqsServer } from '../support/local-sqs-server';
import { MelangeHealthIndicator } from '../../lib/health';
import { freePort } from '../support/ports';
import { CREDENTIALS, REGION, silentLogger } from '../support/sqs';

class Beat {}

@Injectable()
@MessageConsumer('health-beats')
class BeatsConsumer {
  @OnMessage()
  beat(_: Beat): void {}
}

describe('MelangeHealthIndicator (@nestjs/terminus)', () => {
  let server: LocalSqsServer;
  let port: number;
  let app: INestApplication;

  beforeAll(async () => {
    // A server of its own, since this spec stops it.
    port = await freePort();
    server = await startLocalSqsServer({ port });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TerminusModule,
        MelangeModule.forRoot({
          backends: {
            sqs: new SqsBackend({ region: REGION, endpoint: server.endpoint, credentials: CREDENTIALS, waitTimeSeconds: 1, pollErrorBackoffMs: 100, logger: silentLogger }),
          },
          infrastructure: { queues: [{ name: 'health-beats' }] },
        }),
      ],
      providers: [BeatsConsumer, MelangeHealthIndicator],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await app.close();
    await server.stop();
  });

  const check = () => app.get(HealthCheckService).check([() => app.get(MelangeHealthIndicator).isHealthy()]);

  it('is up, then down while the server is stopped, then up again when it is back', async () => {
    const up = await check();
    expect(up.status).toBe('ok');
    expect(up.details.melange).toMatchObject({
      status: 'up',
      backends: { sqs: { up: true } },
      consumers: { sqs: { 'health-beats': { up: true, state: 'running', failing: false } } },
    });

    await server.stop();
    // The backend check fails at once; the consumer reports failing once its poll in progress ends.
    const down = await waitForStatus(check, 'error', (result) => {
      const consumers = (result.details.melange as { consumers: Record<string, Record<string, { up: boolean }>> }).consumers;
      return consumers.sqs['health-beats'].up === false;
    });
    const melange = down.details.melange as {
      backends: Record<string, { up: boolean; error?: string }>;
      consumers: Record<string, Record<string, { up: boolean; reason?: string }>>;
    };
    expect(melange.backends.sqs.up).toBe(false);
    expect(melange.consumers.sqs['health-beats'].up).toBe(false);
    expect(melange.consumers.sqs['health-beats'].reason).toMatch(/^receiving fails: /);

    // A restarted emulator is empty: declare the queue again, as a deploy would.
    server = await startLocalSqsServer({ port });
    await app.get(MelangeInfrastructure).declare();
    const again = await waitForStatus(check, 'ok');
    expect(again.details.melange).toMatchObject({ status: 'up', consumers: { sqs: { 'health-beats': { up: true } } } });
  }, 30_000);
});

/** HealthCheckService throws a 503 carrying the result when something is down. */
type HealthResult = { status: string; details: Record<string, Record<string, unknown>> };

async function waitForStatus(check: () => Promise<HealthResult>, status: 'ok' | 'error', also: (result: HealthResult) => boolean = () => true) {
  let last: HealthResult | undefined;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    try {
      last = await check();
    } catch (error) {
      last = (error as { response: HealthResult }).response;
    }
    if (last.status === status && also(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`health never became ${status}; last: ${JSON.stringify(last)}`);
}
