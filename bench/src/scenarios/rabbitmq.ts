import { freshName } from '../aws';
import type { OnOrder } from '../apps';
import type { Sizes } from '../context';
import { measured } from '../hooks';
import { Progress } from '../progress';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';
import { sleep } from '../stats';
import {
  MELANGE_DEFAULT_PREFETCH,
  RABBIT_PUBLISH_CALLERS,
  RabbitAdmin,
  golevelupStarter,
  melangeStarter,
  rawStarter,
  type RabbitFormat,
  type RabbitStarter,
} from './rabbitmq-contenders';

/*
 * One scenario, one table, consume and publish side by side: each run drains a backlog, then
 * publishes, from one connection or application, as a service does. Two scenarios would start
 * every contender's process twice (3–4 s each on the bench machine) for the same figures.
 */

/** Each contender process's own: queues are created, filled and counted outside the timed spans. */
const admin = new RabbitAdmin();

function contender(sizes: Sizes, name: string, settings: string, format: RabbitFormat, start: RabbitStarter, baseline = false): Contender {
  return { name, settings, baseline, run: (round) => rabbitRun(sizes, round, name, format, start) };
}

export function rabbitmqScenario(sizes: Sizes): Scenario {
  const n = sizes.consume.toLocaleString('en-US');
  const p = sizes.publish.toLocaleString('en-US');
  const calls = `${RABBIT_PUBLISH_CALLERS} callers awaiting their confirm`;
  return {
    id: 'rabbitmq',
    title: `8. RabbitMQ: consume ${n} messages already queued, then publish ${p}`,
    description: description(sizes),
    rounds: sizes.rounds,
    // Fails at once, saying how to start the broker, when it does not answer.
    setUp: async () => {
      const probe = new RabbitAdmin();
      const name = freshName('rabbit-probe');
      try {
        await probe.createQueue(name);
        await probe.deleteQueue(name);
      } finally {
        await probe.close();
      }
    },
    columns: [
      { key: 'rate', label: 'consume msg/s', spread: true, ratio: true },
      { key: 'cpu', label: 'consume CPU µs/msg', digits: 0 },
      { key: 'publishRate', label: 'publish msg/s', spread: true, ratio: true },
      { key: 'publishCpu', label: 'publish CPU µs/msg', digits: 0 },
    ],
    contenders: [
      contender(
        sizes,
        'raw amqplib',
        `consume: prefetch ${MELANGE_DEFAULT_PREFETCH}, ack after each handler; publish: confirm channel, ${calls}; bare JSON body, persistent`,
        'raw',
        rawStarter('bare'),
        true,
      ),
      contender(
        sizes,
        "raw amqplib, library's wire format",
        'as above, on messages with the manifest and serializer_id headers, messageId and type (read: the manifest header; sent: mandatory, as send() does)',
        'melange',
        rawStarter('wire'),
      ),
      contender(
        sizes,
        'raw amqplib, transient',
        "as the first row, but published without persistent (golevelup's default), so the broker confirms without writing to disk; consumes the same persistent backlog",
        'raw',
        rawStarter('transient'),
      ),
      contender(
        sizes,
        '@golevelup/nestjs-rabbitmq, defaults',
        `forRoot({ uri }) + @RabbitSubscribe({ queue }): prefetch 10 (its default), acked when the handler returns; AmqpConnection.publish('', queue, order), ${RABBIT_PUBLISH_CALLERS} callers: a confirm channel (amqp-connection-manager's default), messages not persistent (its default)`,
        'raw',
        golevelupStarter,
      ),
      contender(
        sizes,
        'nestjs-melange, defaults',
        `forRoot with new RabbitMqBackend({ url }) + @MessageConsumer(queue): concurrency ${MELANGE_DEFAULT_PREFETCH} = prefetch; publish(order, { queue }), ${RABBIT_PUBLISH_CALLERS} callers (confirm channel, persistent)`,
        'melange',
        melangeStarter,
      ),
    ],
  };
}

/**
 * One run: a fresh queue filled with the backlog in the contender's format, drained by the
 * contender (timed from the first handler call to the last); then `publish` messages to a second
 * fresh queue (timed from the first call to the last confirm). Afterwards every consumed message
 * must be acknowledged (none left once the contender closed) and every published one on its queue.
 */
async function rabbitRun(sizes: Sizes, round: RoundInfo, name: string, format: RabbitFormat, start: RabbitStarter): Promise<Metrics> {
  const consumeCount = round.warmup ? Math.max(500, Math.round(sizes.consume / 4)) : sizes.consume;
  const publishCount = round.warmup ? Math.max(500, Math.round(sizes.publish / 4)) : sizes.publish;
  const slug = name.replace(/[^a-z]+/gi, '-').slice(0, 24);
  const consumeQueue = freshName(`rabbit-consume-${slug}`);
  const publishQueue = freshName(`rabbit-publish-${slug}`);
  await admin.createQueue(consumeQueue);
  await admin.createQueue(publishQueue);
  try {
    await admin.fill(consumeQueue, consumeCount, format);
    const progress = new Progress(consumeCount);
    const onOrder: OnOrder = () => progress.tick();
    const app = await start(consumeQueue, onOrder);
    let capped = false;
    let publishRate: number;
    let publishCpu: number;
    let arrived = 0;
    try {
      ({ capped } = await progress.finish(round.warmup ? sizes.consumeCapMs / 2 : sizes.consumeCapMs));
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      measured.start();
      await app.publish(publishQueue, publishCount);
      measured.stop();
      const elapsed = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      publishRate = (publishCount * 1000) / elapsed;
      publishCpu = (cpu.user + cpu.system) / publishCount;
      // Confirmed means enqueued; the count may lag a little behind on the broker's side.
      arrived = await admin.remaining(publishQueue);
      for (const deadline = Date.now() + 3000; arrived < publishCount && Date.now() < deadline; arrived = await admin.remaining(publishQueue)) await sleep(20);
    } finally {
      await app.close();
    }
    return {
      rate: progress.rate(),
      cpu: progress.cpuPerMessage(),
      handled: progress.count,
      capped: capped ? 1 : 0,
      // Closing the contender's channels put back whatever it had not acknowledged.
      leftover: capped ? 0 : await admin.remaining(consumeQueue),
      publishRate,
      publishCpu,
      missing: publishCount - arrived,
    };
  } finally {
    await admin.deleteQueue(consumeQueue).catch(() => undefined);
    await admin.deleteQueue(publishQueue).catch(() => undefined);
  }
}

const description = (sizes: Sizes): string =>
  `Each run fills a fresh durable queue with ${sizes.consume.toLocaleString('en-US')} persistent ~200-byte orders (the library's wire format for ` +
  "nestjs-melange and the wire-format row, the bare JSON body for the others), starts the contender, which consumes it, and once " +
  `every message was handled has it publish ${sizes.publish.toLocaleString('en-US')} orders to a second fresh queue. Consume rate = messages ` +
  'handled per second between the first and the last handler call; publish rate = messages per second from the first call to the ' +
  "last confirm; CPU = this process's user+system CPU over the same span, per message (the broker runs in another process and is " +
  `not counted). Consume runs still going ${sizes.consumeCapMs / 1000} s after their first message are stopped and rated on what they handled. ` +
  'Afterwards no consumed message may be left on its queue (all acknowledged) and every published one must be on its queue. Every ' +
  'handler builds the typed class (nestjs-melange: its JSON serializer; raw: JSON.parse + Object.assign; golevelup: its JSON.parse, ' +
  'then Object.assign) and adds one field to a sum. All contenders run on one amqplib, the bench\'s copy, pinned to the library\'s ' +
  "version (see the versions above): golevelup reaches the broker through amqp-connection-manager, whose peer dependency amqplib ('*') resolves to it.";
