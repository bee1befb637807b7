import 'reflect-metadata';
import { ChangeMessageVisibilityCommand, ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConsumerRegistry, MelangeModule, MessageConsumer, OnAnyMessage, SqsBackend, UnknownConsumerError } from '../../lib';
import { MelangeHealth } from '../../lib/observability/melange-health';
import { Recorder } from '../support/recorder';
import { CREDENTIALS, plainSns, plainSqs, queueUrl, REGION, sqsEndpoint, waitFor } from '../support/sqs';

/** Counts the receives a client has in flight, so the spec knows when a paused consumer has none. */
function receivesInFlight(client: SQSClient): () => number {
  let inFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ReceiveMessageCommand') return next(args);
      inFlight++;
      try {
        return await next(args);
      } finally {
        inFlight--;
      }
    },
    { step: 'initialize', name: 'receivesInFlight' },
  );
  return () => inFlight;
}

const QUEUE = 'registry-orders';

@Injectable()
@MessageConsumer(QUEUE)
class OrdersConsumer {
  readonly bodies = new Recorder<unknown>();

  @OnAnyMessage()
  any(payload: unknown): void {
    this.bodies.record(payload);
  }
}

describe('the consumer registry, on the local SQS server', () => {
  const sqs = plainSqs();
  const clients = { sqs: plainSqs(), polling: plainSqs(), sns: plainSns() };
  const polling = receivesInFlight(clients.polling);
  let app: INestApplication;
  let registry: ConsumerRegistry;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        MelangeModule.forRoot({
          // Polls are waited for, not aborted, on pause: an aborted long poll goes on on the server
          // and could take the message this spec sends to another client while the consumer is paused.
          backends: { sqs: new SqsBackend({ region: REGION, endpoint: sqsEndpoint(), credentials: CREDENTIALS, waitTimeSeconds: 1, abortPollsOnStop: false, clients }) },
          infrastructure: { queues: [{ name: QUEUE, visibilityTimeout: 30 }] },
        }),
      ],
      providers: [OrdersConsumer],
    }).compile();
    app = await moduleRef.createNestApplication({ logger: false }).init();
    registry = app.get(ConsumerRegistry);
  });

  afterAll(async () => {
    await app.close();
    for (const client of [sqs, ...Object.values(clients)]) client.destroy();
  });

  it('lists the consumers by backend and queue, with their status', () => {
    expect(registry.list()).toEqual([
      { backend: 'sqs', queue: QUEUE, manifests: ['@OnAnyMessage'], concurrency: 32, status: expect.objectContaining({ state: 'running', inFlight: 0 }) },
    ]);
    expect(() => registry.status('nope')).toThrow(UnknownConsumerError);
    expect(() => registry.status('nope')).toThrow(`No consumer of queue "nope" is running (running: "${QUEUE}" on "sqs").`);
  });

  it('pause() stops receiving (another client gets the message), resume() starts again; health keys by backend and queue', async () => {
    const url = await queueUrl(sqs, QUEUE);
    registry.pause(QUEUE);
    // Receives already in progress end within their 1 s wait; no new one starts.
    await waitFor(() => polling() === 0, 5000, 'the polls in progress to end');
    expect(registry.status(QUEUE).state).toBe('paused');
    const report = await app.get(MelangeHealth).check();
    expect(report.consumers.sqs?.[QUEUE]).toMatchObject({ up: true, state: 'paused' });

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"n":1}' }));
    const taken = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 5 }));
    expect(taken.Messages?.map((message) => message.Body)).toEqual(['{"n":1}']);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: taken.Messages![0]!.ReceiptHandle, VisibilityTimeout: 0 }));
    expect(app.get(OrdersConsumer).bodies.items).toEqual([]);

    registry.resume(QUEUE);

    expect(await app.get(OrdersConsumer).bodies.waitFor(1, 10_000)).toEqual([{ n: 1 }]);
    expect(registry.status(QUEUE).state).toBe('running');
  });

  it('stop() drains and stops one consumer; health reports it down', async () => {
    await registry.stop(QUEUE, 'sqs');

    expect(registry.status(QUEUE).state).toBe('stopped');
    const report = await app.get(MelangeHealth).check();
    expect(report.healthy).toBe(false);
    expect(report.consumers.sqs?.[QUEUE]).toMatchObject({ up: false, reason: 'consumer is stopped' });
  });
});
