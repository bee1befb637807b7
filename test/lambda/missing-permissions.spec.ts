import 'reflect-metadata';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable } from '@nestjs/common';
import { Message, MelangePublisher, MessageConsumer, NonRetryableError, OnMessage } from '../../lib';
import { createLambdaHandler, type MelangeLambdaHandler } from '../../lib/lambda';
import { CapturingLogger } from '../support/capturing-logger';
import { lambdaAppModule } from '../support/lambda-app';
import { failedIds, lambdaContext, receiveSqsEvent } from '../support/lambda-events';
import { CREDENTIALS, plainSqs, REGION, sqsEndpoint, uniqueName } from '../support/sqs';

const QUEUE = uniqueName('lambda-iam');
const DLQ = `${QUEUE}-dlq`;

/**
 * The local server behind an HTTP proxy that answers some SQS actions as IAM does for a role
 * without the permission; the SDK is real on both sides of it.
 */
class DenyingProxy {
  readonly denied: string[] = [];
  private constructor(private readonly server: Server) {}

  static async start(target: string, deny: readonly string[]): Promise<DenyingProxy> {
    const upstream = new URL(target);
    let proxy: DenyingProxy | undefined;
    const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
      const action = String(incoming.headers['x-amz-target'] ?? '').replace('AmazonSQS.', '');
      if (deny.includes(action)) {
        proxy?.denied.push(action);
        incoming.resume();
        outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AccessDenied;Sender' });
        outgoing.end(JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message: `User is not authorized to perform: sqs:${action}` }));
        return;
      }
      const forward = request({ host: upstream.hostname, port: upstream.port, path: incoming.url, method: incoming.method, headers: incoming.headers }, (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      });
      incoming.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new DenyingProxy(server);
    return proxy;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

@Message('lambda-spec.payout')
class Payout {
  kind!: 'flaky' | 'invalid';
}

@Injectable()
@MessageConsumer(QUEUE)
class PayoutsConsumer {
  @OnMessage()
  pay(payout: Payout): void {
    if (payout.kind === 'invalid') throw new NonRetryableError('no such account');
    throw new Error('bank timeout');
  }
}

const AppModule = lambdaAppModule({ infrastructure: { queues: [{ name: QUEUE, deadLetterQueue: DLQ }, { name: DLQ }] } }, [PayoutsConsumer]);

describe('a function role without the optional SQS permissions', () => {
  const sqs = plainSqs();
  const logger = new CapturingLogger();
  let proxy: DenyingProxy;
  let handler: MelangeLambdaHandler;

  beforeAll(async () => {
    proxy = await DenyingProxy.start(sqsEndpoint(), ['ChangeMessageVisibility', 'SendMessage']);
    handler = createLambdaHandler(AppModule, {
      declareInfrastructure: true,
      sqs: { region: REGION, endpoint: proxy.endpoint, credentials: CREDENTIALS },
      logger,
    });
  });

  afterAll(async () => {
    await handler.close();
    await proxy.close();
    sqs.destroy();
  });

  it('still reports failed records as failed, and says once per queue which permission is missing', async () => {
    const publisher = (await handler.ready()).get(MelangePublisher);
    for (const kind of ['flaky', 'flaky', 'invalid', 'invalid'] as const) await publisher.publish(Object.assign(new Payout(), { kind }), { queue: QUEUE });
    const event = await receiveSqsEvent(sqs, QUEUE, 4);

    const response = await handler(event, lambdaContext());

    expect(failedIds(response)).toEqual(event.Records.map((record) => record.messageId).sort());
    expect(proxy.denied.sort()).toEqual(['ChangeMessageVisibility', 'ChangeMessageVisibility', 'SendMessage', 'SendMessage']);
    const permissionLines = logger.messages('warn').filter((line) => line.includes('was denied') && line.includes('logged once'));
    expect(permissionLines).toHaveLength(2);
    expect(permissionLines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sqs:ChangeMessageVisibility on queue "lambda-iam-[^"]+" was denied .*: failed records come back after the queue's visibility timeout instead of their retry backoff\. Grant sqs:ChangeMessageVisibility/),
        expect.stringMatching(/^sqs:SendMessage on dead-letter queue "lambda-iam-[^"]+-dlq" \(of queue "lambda-iam-[^"]+"\) was denied .*SQS's redrive moves them/),
      ]),
    );
  });
});
