import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { freshName, sqsClient } from '../aws';
import { startMelangeApp } from '../apps';
import type { ServerScope, Sizes } from '../context';
import { makeOrder, nowMs, orderFromJson, type OrderPlaced } from '../message';
import { startRawConsumer } from '../raw-consumer';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';
import { quantile, sleep } from '../stats';

/** The raw consumer polls with as many long polls as nestjs-melange's default (concurrency 32 → 4). */
const RAW_LATENCY_POLLERS = 4;

interface Rig {
  /** Sends one message; resolves when the broker acknowledged it. */
  send(order: OrderPlaced): Promise<unknown>;
  close(): Promise<void>;
}

type RigFactory = (queue: { name: string; url: string }, onOrder: (order: OrderPlaced) => void) => Promise<Rig>;

export function latencyScenario(server: ServerScope, sizes: Sizes): Scenario {
  const contender = (name: string, settings: string, rig: RigFactory, baseline = false): Contender => ({
    name,
    settings,
    baseline,
    run: (round) => latencyRun(server, sizes, round, rig),
  });
  return {
    id: 'latency',
    title: `3. Latency, publish → handler, at ${sizes.latencyRate} msg/s`,
    description:
      `Each run publishes ${sizes.latencyRate} messages per second for ${sizes.latencySeconds} s (an open loop: one send every ` +
      `${1000 / sizes.latencyRate} ms, not waiting for the previous one) to a fresh queue whose consumer is already long-polling, ` +
      'in the same process. Latency = time from just before the send call to the start of the handler. p50/p99 per round; the ' +
      'table gives the median over rounds (and min–max of p99).',
    rounds: sizes.rounds,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: [
      { key: 'p50', label: 'p50 ms', digits: 1, ratio: true },
      { key: 'p99', label: 'p99 ms', digits: 1, spread: true, ratio: true },
      { key: 'max', label: 'max ms', digits: 1 },
    ],
    contenders: [
      contender(
        'raw SDK',
        `SendMessage; ${RAW_LATENCY_POLLERS} long polls of 10 (wait 20 s), batch delete`,
        async (queue, onOrder) => {
          const sender = sqsClient(server.endpoint);
          const poller = sqsClient(server.endpoint);
          const consumer = startRawConsumer({
            client: poller,
            queueUrl: queue.url,
            pollers: RAW_LATENCY_POLLERS,
            handle: (message) => onOrder(orderFromJson(message.Body!)),
          });
          return {
            send: (order) => sender.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify(order) })),
            close: async () => {
              await consumer.stop();
              sender.destroy();
              poller.destroy();
            },
          };
        },
        true,
      ),
      contender('nestjs-melange, defaults', 'publish() + @MessageConsumer(queue), one app', async (queue, onOrder) => {
        const { app, publisher } = await startMelangeApp({ endpoint: server.endpoint, queue: queue.name, onOrder });
        const target = { queue: queue.name };
        return { send: (order) => publisher.publish(order, target), close: () => app.close() };
      }),
    ],
  };
}

async function latencyRun(server: ServerScope, sizes: Sizes, round: RoundInfo, makeRig: RigFactory): Promise<Metrics> {
  const seconds = round.warmup ? Math.max(1, sizes.latencySeconds / 2) : sizes.latencySeconds;
  const count = Math.round(sizes.latencyRate * seconds);
  const name = freshName('latency');
  const url = await server.admin.createQueue(name);
  const latencies: number[] = [];
  const rig = await makeRig({ name, url }, (order) => latencies.push(nowMs() - order.sentAt));
  try {
    // Let the consumer's long polls reach the broker before the first message.
    await sleep(300);
    const interval = 1000 / sizes.latencyRate;
    const start = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < count; index++) {
      const due = start + index * interval;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      sends.push(rig.send(makeOrder(index, nowMs())));
    }
    await Promise.all(sends);
    for (const deadline = Date.now() + 5000; latencies.length < count && Date.now() < deadline; ) await sleep(5);
  } finally {
    await rig.close();
    await server.admin.deleteQueue(url);
  }
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: quantile(latencies, 1),
    missing: count - latencies.length,
  };
}
