import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { FaultProxy } from '../faults/tcp-proxy';
import { CapturingLogger } from '../support/capturing-logger';
import { startLocalSqsServer, type LocalSqsServer } from '../support/local-sqs-server';
import { freshBucket, plainS3 } from '../support/s3';
import { BackendFactory, DeliveryRecorder, envelope, plainSqs, queueAttributes, receivePlain, sleep, uniqueName, waitFor } from '../support/sqs';

/** Counts the S3 requests a client sends; the SDK itself is never replaced. */
function countRequests(client: S3Client): { gets: number } {
  const counter = { gets: 0 };
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetObjectCommand') counter.gets++;
      return next(args);
    },
    { step: 'initialize', name: 'countS3Requests' },
  );
  return counter;
}

/**
 * S3 on a server of its own (a second local server), so the spec can take it away while SQS stays.
 * A payload S3 cannot serve is infrastructure trouble: the message is held and the read retried,
 * never dead-lettered.
 */
describe('an S3 outage while consuming offloaded payloads', () => {
  const factory = new BackendFactory();
  let sqs: SQSClient;
  const clients: S3Client[] = [];
  const servers: LocalSqsServer[] = [];

  beforeAll(() => {
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    for (const client of clients) client.destroy();
    await Promise.all(servers.map((server) => server.stop()));
    sqs.destroy();
  });

  /** A second server for S3, a bucket on it, and a queue holding one message whose payload is there. */
  async function offloadedMessage(): Promise<{ server: LocalSqsServer; bucket: string; queue: string; deadLetters: string; sentPayload: string }> {
    const server = await startLocalSqsServer();
    servers.push(server);
    const s3 = plainS3(server.endpoint);
    clients.push(s3);
    const bucket = await freshBucket(s3);
    const queue = uniqueName('s3-outage');
    const deadLetters = `${queue}-dlq`;
    const publisher = factory.create({ payloadOffloading: { bucket, client: s3, alwaysOffload: true } });
    await publisher.declareQueue({ name: queue, deadLetterQueue: deadLetters, maxReceiveCount: 10 });
    const sent = envelope();
    await publisher.send(queue, sent);
    return { server, bucket, queue, deadLetters, sentPayload: sent.payload };
  }

  it('server stopped: the read is retried while the message is held, then it goes back to the queue; nothing is dead-lettered', async () => {
    const { server, bucket, queue, deadLetters } = await offloadedMessage();
    const s3 = plainS3(server.endpoint);
    clients.push(s3);
    const requests = countRequests(s3);
    const logger = new CapturingLogger();
    const consumer = factory.create({ logger, payloadOffloading: { bucket, client: s3, outageMaxWaitMs: 800 } });
    await server.stop();
    const recorder = new DeliveryRecorder(async (delivery) => {
      await delivery.deadLetter(delivery.undecodable ?? 'unexpected');
    });

    const handle = consumer.consume(queue, recorder.handler, { concurrency: 2 });
    await waitFor(() => logger.messages('warn').filter((line) => line.includes('goes back to the queue')).length >= 2, 10_000, 'two hand-backs');
    const stopping = Date.now();
    await handle.stop();

    expect(Date.now() - stopping).toBeLessThan(2000);
    expect(recorder.deliveries).toEqual([]);
    expect(requests.gets).toBeGreaterThanOrEqual(4);
    expect(logger.messages('warn').filter((line) => line.includes('S3 cannot serve offloaded payloads'))).toHaveLength(1);
    expect(await receivePlain(sqs, deadLetters, 1, 1000)).toEqual([]);
    const attributes = await queueAttributes(sqs, queue);
    expect(Number(attributes.ApproximateNumberOfMessages) + Number(attributes.ApproximateNumberOfMessagesNotVisible)).toBe(1);
  });

  it('network cut and restored: the held message is handled once S3 answers, on its first receive', async () => {
    const { server, bucket, queue, deadLetters, sentPayload } = await offloadedMessage();
    const proxy = await FaultProxy.start(server.endpoint);
    const s3 = plainS3(proxy.endpoint);
    clients.push(s3);
    const requests = countRequests(s3);
    const logger = new CapturingLogger();
    const consumer = factory.create({ logger, payloadOffloading: { bucket, client: s3 } });
    proxy.cut();
    const recorder = new DeliveryRecorder();

    const handle = consumer.consume(queue, recorder.handler, { concurrency: 2 });
    await waitFor(() => requests.gets >= 2, 10_000, 'two failed reads');
    await sleep(300);
    proxy.restore();
    const [delivery] = await recorder.waitForCount(1);
    await handle.stop();
    await proxy.close();

    expect(delivery?.envelope.payload).toBe(sentPayload);
    expect(delivery?.receiveCount).toBe(1);
    expect(logger.messages('log').filter((line) => line.includes('S3 serves offloaded payloads again'))).toHaveLength(1);
    expect(await receivePlain(sqs, deadLetters, 1, 500)).toEqual([]);
  });
});
