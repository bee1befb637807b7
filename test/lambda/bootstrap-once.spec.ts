import 'reflect-metadata';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, OnMessage } from '../../lib';
import { createLambdaHandler, type MelangeLambdaHandler } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule } from '../support/lambda-app';
import { lambdaContext, localSqsClientOptions, receiveSqsEvent, settleLikeLambda } from '../support/lambda-events';
import { plainSqs, sleep, uniqueName, waitFor } from '../support/sqs';

const QUEUE = uniqueName('lambda-boot');

@Message('lambda-spec.ping')
class Ping {
  n!: number;
}

const boots = { count: 0, failNext: false };

@Injectable()
@MessageConsumer(QUEUE)
class PingConsumer implements OnModuleInit {
  readonly seen: number[] = [];

  onModuleInit(): void {
    boots.count += 1;
    if (boots.failNext) {
      boots.failNext = false;
      throw new Error('the database password is not readable yet');
    }
  }

  @OnMessage()
  ping(ping: Ping): void {
    this.seen.push(ping.n);
  }
}

const AppModule = lambdaAppModule({ infrastructure: { queues: [{ name: QUEUE }] } }, [PingConsumer]);

describe('the Nest application behind a Lambda handler', () => {
  const sqs = plainSqs();
  let handler: MelangeLambdaHandler | undefined;

  beforeEach(() => {
    boots.count = 0;
    boots.failNext = false;
  });

  afterEach(async () => {
    await handler?.close();
    handler = undefined;
  });

  afterAll(() => sqs.destroy());

  async function invokeWithPings(target: MelangeLambdaHandler, numbers: readonly number[]): Promise<void> {
    const publisher = (await target.ready()).get(MelangePublisher);
    for (const n of numbers) await publisher.publish(Object.assign(new Ping(), { n }), { queue: QUEUE });
    const event = await receiveSqsEvent(sqs, QUEUE, numbers.length);
    const response = await target(event, lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    await settleLikeLambda(sqs, QUEUE, event, response);
  }

  it('is bootstrapped once, at init, and serves every invocation of the execution environment', async () => {
    handler = createLambdaHandler(AppModule, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger() });
    await waitFor(() => boots.count === 1, 10_000, 'the bootstrap at init');
    const app = await handler.ready();

    await invokeWithPings(handler, [1]);
    await invokeWithPings(handler, [2, 3]);
    await invokeWithPings(handler, [4]);

    expect(boots.count).toBe(1);
    expect(await handler.ready()).toBe(app);
    expect(app.get(PingConsumer).seen.sort()).toEqual([1, 2, 3, 4]);
  });

  it("with bootstrap 'first-invocation', waits for the first event", async () => {
    handler = createLambdaHandler(AppModule, { bootstrap: 'first-invocation', declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger() });
    await sleep(300);
    expect(boots.count).toBe(0);

    await handler({ Records: [] }, lambdaContext());
    await invokeWithPings(handler, [5]);

    expect(boots.count).toBe(1);
  });

  it('logs a bootstrap that fails at init, and bootstraps again for the first invocation', async () => {
    boots.failNext = true;
    const logger = new CapturingLogger();
    handler = createLambdaHandler(AppModule, { declareInfrastructure: true, sqs: localSqsClientOptions(), logger });
    await waitFor(() => logger.messages('error').some((line) => line.includes('the database password is not readable yet')), 10_000, 'the failed bootstrap at init');

    await invokeWithPings(handler, [6]);

    expect(boots.count).toBe(2);
  });

  it("with bootstrap 'first-invocation', fails the invocation whose bootstrap fails, and bootstraps again on the next", async () => {
    boots.failNext = true;
    handler = createLambdaHandler(AppModule, { bootstrap: 'first-invocation', declareInfrastructure: true, sqs: localSqsClientOptions(), logger: new CapturingLogger() });

    await expect(handler({ Records: [] }, lambdaContext())).rejects.toThrow('the database password is not readable yet');
    await invokeWithPings(handler, [7]);

    expect(boots.count).toBe(2);
  });
});
