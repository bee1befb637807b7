import { CapturingLogger } from '../support/capturing-logger';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Delivery } from '../../lib/backends/messaging-backend';
import {
  BackendFactory,
  DeliveryRecorder,
  RequestLog,
  envelope,
  plainSqs,
  queueAttributes,
  queueUrl,
  receivePlain,
  sleep,
  uniqueName,
  waitFor,
} from '../support/sqs';

describe('consuming a queue', () => {
  const factory = new BackendFactory();
  let sqs: SQSClient;

  beforeAll(() => {
    sqs = plainSqs();
  });

  afterAll(async () => {
    await factory.closeAll();
    sqs.destroy();
  });

  it('hands a sent message to the handler and deletes it on ack', async () => {
    const backend = factory.create();
    const queue = uniqueName('consume');
    await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 2 });
    const sent = envelope();

    await backend.send(queue, sent);
    const [delivery] = await recorder.waitForCount(1);
    await consumer.stop();

    expect(delivery).toMatchObject({ queue, envelope: sent, receiveCount: 1 });
    const attributes = await queueAttributes(sqs, queue);
    expect(attributes.ApproximateNumberOfMessages).toBe('0');
    expect(attributes.ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('batches the deletes of messages acked together', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('consume-deletes');
    await backend.declareQueue({ name: queue });
    await Promise.all(Array.from({ length: 10 }, () => backend.send(queue, envelope())));
    const recorder = new DeliveryRecorder();

    const consumer = backend.consume(queue, recorder.handler, { concurrency: 10 });
    await recorder.waitForCount(10);
    await consumer.stop();

    expect(log.count('DeleteMessage')).toBe(0);
    expect(log.count('DeleteMessageBatch')).toBeLessThan(10);
    expect((await queueAttributes(sqs, queue)).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('long-polls on its own client, apart from sends and deletes', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log);
    const queue = uniqueName('consume-clients');
    await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope());
    await recorder.waitForCount(1);
    await consumer.stop();

    const receivers = new Set(log.commands.filter((entry) => entry.endsWith(':ReceiveMessage')));
    expect([...receivers]).toEqual(['polling:ReceiveMessage']);
    expect(log.commands).toContain('sqs:SendMessage');
    expect(log.commands.filter((entry) => entry.startsWith('polling:') && !entry.endsWith(':ReceiveMessage'))).toEqual([]);
  });

  it('never runs more handlers at once than its concurrency, and never receives more than it can start', async () => {
    const concurrency = 4;
    const queue = uniqueName('consume-concurrency');
    let running = 0;
    let most = 0;
    // Checked as each receive returns, before the consumer sees its messages: those running plus
    // those arriving must fit in the concurrency, or some would wait unstarted in the consumer.
    let mostHeld = 0;
    const polling = plainSqs();
    polling.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'ReceiveMessageCommand') {
          const received = (result.output as { Messages?: unknown[] }).Messages?.length ?? 0;
          mostHeld = Math.max(mostHeld, running + received);
        }
        return result;
      },
      { step: 'initialize', name: 'countHeldMessages' },
    );
    const requests = plainSqs();
    const backend = factory.create({ clients: { sqs: requests, polling } });
    await backend.declareQueue({ name: queue });
    await Promise.all(Array.from({ length: 30 }, () => backend.send(queue, envelope())));
    const recorder = new DeliveryRecorder(async (delivery) => {
      running++;
      most = Math.max(most, running);
      await sleep(30);
      running--;
      await delivery.ack();
    });
    let mostInFlightOnBroker = 0;
    const watcher = setInterval(() => {
      void queueAttributes(sqs, queue).then((attributes) => {
        mostInFlightOnBroker = Math.max(mostInFlightOnBroker, Number(attributes.ApproximateNumberOfMessagesNotVisible));
      });
    }, 10);

    const consumer = backend.consume(queue, recorder.handler, { concurrency });
    await recorder.waitForCount(30);
    clearInterval(watcher);
    await consumer.stop();
    polling.destroy();
    requests.destroy();

    expect(most).toBe(concurrency);
    expect(mostHeld).toBe(concurrency);
    // On the broker, messages whose delete is on its way count too: at most as many again.
    expect(mostInFlightOnBroker).toBeGreaterThanOrEqual(concurrency);
    expect(mostInFlightOnBroker).toBeLessThanOrEqual(2 * concurrency);
  });

  it('runs several pollers when concurrency exceeds one receive of 10', async () => {
    const backend = factory.create();
    const queue = uniqueName('consume-pollers');
    await backend.declareQueue({ name: queue });
    await Promise.all(Array.from({ length: 40 }, () => backend.send(queue, envelope())));
    let running = 0;
    let most = 0;
    const recorder = new DeliveryRecorder(async (delivery) => {
      running++;
      most = Math.max(most, running);
      await sleep(100);
      running--;
      await delivery.ack();
    });

    const consumer = backend.consume(queue, recorder.handler, { concurrency: 25 });
    await recorder.waitForCount(40);
    await consumer.stop();

    expect(most).toBeGreaterThan(10);
    expect(most).toBeLessThanOrEqual(25);
  });

  it('reports how often a message was received, and redelivers it after retry', async () => {
    const backend = factory.create();
    const queue = uniqueName('consume-retry');
    await backend.declareQueue({ name: queue });
    const recorder = new DeliveryRecorder((delivery) => (delivery.receiveCount < 3 ? delivery.retry(0) : delivery.ack()));
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope());
    const deliveries = await recorder.waitForCount(3);
    await consumer.stop();

    expect(deliveries.map((delivery) => delivery.receiveCount)).toEqual([1, 2, 3]);
  });

  it('keeps the message invisible for the retry delay', async () => {
    const backend = factory.create();
    const queue = uniqueName('consume-retry-delay');
    await backend.declareQueue({ name: queue });
    const seen: number[] = [];
    const recorder = new DeliveryRecorder(async (delivery) => {
      seen.push(Date.now());
      await (delivery.receiveCount === 1 ? delivery.retry(1500) : delivery.ack());
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });

    await backend.send(queue, envelope());
    await recorder.waitForCount(2, 8000);
    await consumer.stop();

    expect((seen[1] as number) - (seen[0] as number)).toBeGreaterThanOrEqual(1400);
  });

  it('survives a handler that throws: the message comes back after its visibility timeout', async () => {
    const logger = new CapturingLogger();
    const backend = factory.create({ logger });
    const queue = uniqueName('consume-throws');
    await backend.declareQueue({ name: queue, visibilityTimeout: 1 });
    const recorder = new DeliveryRecorder(async (delivery) => {
      if (delivery.receiveCount === 1) {
        throw new Error('boom');
      }
      await delivery.ack();
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    const sent = envelope();

    await backend.send(queue, sent);
    await recorder.waitForCount(2, 8000);
    await consumer.stop();

    expect(logger.lines).toContainEqual({
      level: 'error',
      message: `queue=${queue} message=${sent.messageId}: handler failed, the message comes back after its visibility timeout: Error: boom`,
    });
  });

  it('stop() waits for handlers already running', async () => {
    const backend = factory.create();
    const queue = uniqueName('consume-stop');
    await backend.declareQueue({ name: queue });
    let finished = false;
    const recorder = new DeliveryRecorder(async (delivery) => {
      await sleep(300);
      await delivery.ack();
      finished = true;
    });
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    await backend.send(queue, envelope());
    await recorder.waitForCount(1);

    await consumer.stop();

    expect(finished).toBe(true);
    expect((await queueAttributes(sqs, queue)).ApproximateNumberOfMessagesNotVisible).toBe('0');
  });

  it('with abortPollsOnStop: false, stop() waits for the long poll and hands back at once what it brings, instead of leaving it invisible', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log, { abortPollsOnStop: false });
    const queue = uniqueName('consume-release');
    await backend.declareQueue({ name: queue, visibilityTimeout: 60 });
    const handled: Delivery[] = [];
    const consumer = backend.consume(queue, async (delivery) => void handled.push(delivery), { concurrency: 5 });
    await waitFor(() => log.count('polling:ReceiveMessage') >= 1, 5000, 'the first long poll');

    const stopped = consumer.stop();
    await sqs.send(new SendMessageCommand({ QueueUrl: await queueUrl(sqs, queue), MessageBody: 'late' }));
    await stopped;

    expect(handled).toEqual([]);
    const [message] = await receivePlain(sqs, queue, 1, 2000);
    expect(message?.Body).toBe('late');
  });

  it('by default, stop() aborts the long poll in progress instead of waiting for it', async () => {
    const log = new RequestLog();
    const backend = factory.createLogged(log, { waitTimeSeconds: 20 });
    const queue = uniqueName('consume-abort');
    await backend.declareQueue({ name: queue });
    const consumer = backend.consume(queue, async (delivery) => delivery.ack(), { concurrency: 1 });
    await waitFor(() => log.count('polling:ReceiveMessage') >= 1, 5000, 'the first long poll');

    const started = Date.now();
    await consumer.stop();

    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps polling while its queue does not exist yet, logging the outage once when it starts and once when it ends', async () => {
    const logger = new CapturingLogger();
    const backend = factory.create({ logger, pollErrorBackoffMs: 50 });
    const queue = uniqueName('consume-later');
    const recorder = new DeliveryRecorder();
    const consumer = backend.consume(queue, recorder.handler, { concurrency: 1 });
    await waitFor(() => logger.lines.some((line) => line.level === 'error'), 5000, 'a logged receive error');

    await backend.declareQueue({ name: queue });
    await backend.send(queue, envelope());
    await recorder.waitForCount(1);
    await consumer.stop();

    const errors = logger.lines.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(new RegExp(`^queue=${queue}: receiving failed, retrying with backoff from 50 ms .*does not exist`));
    expect(logger.lines.some((line) => line.level === 'log' && /receiving works again after \d+ failed attempt/.test(line.message))).toBe(true);
  });
});
