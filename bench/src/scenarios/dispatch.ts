import { Injectable, Module } from '@nestjs/common';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { MelangeModule, MelangePublisher, MessageConsumer, OnMessage } from '../../../lib';
import { createApp, sink } from '../apps';
import type { Sizes } from '../context';
import { measured } from '../hooks';
import { makeOrder, OrderPlaced } from '../message';
import { Progress } from '../progress';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';

const CALLERS = 100;
/**
 * Publishing to the in-memory backend resolves at once, so unchecked callers would pile the whole
 * run into the queue before the consumer catches up. They wait while this many messages are
 * published but not yet handled: the scenario measures the pipeline, not a backlog (see
 * README.md for what a large in-memory backlog costs).
 */
const MAX_BACKLOG = 1_000;

/** A loop over the same payload, no broker, no library: the floor of what any pipeline costs. */
function loop(name: string, settings: string, step: (order: OrderPlaced) => OrderPlaced, baseline = false): (sizes: Sizes) => Contender {
  return (sizes) => ({
    name,
    settings,
    baseline,
    run: async (round: RoundInfo): Promise<Metrics> => {
      const count = round.warmup ? sizes.dispatch / 4 : sizes.dispatch;
      const orders = Array.from({ length: 1000 }, (_, index) => makeOrder(index));
      const cpu = process.cpuUsage();
      const started = performance.now();
      measured.start();
      for (let index = 0; index < count; index++) sink(step(orders[index % 1000]!));
      measured.stop();
      const elapsed = performance.now() - started;
      const used = process.cpuUsage(cpu);
      return { rate: (count * 1000) / elapsed, cpu: (used.user + used.system) / count };
    },
  });
}

export function dispatchScenario(sizes: Sizes): Scenario {
  return {
    id: 'dispatch',
    title: `4. Dispatch overhead without a network: ${sizes.dispatch.toLocaleString('en-US')} messages`,
    description:
      'nestjs-melange with its in-memory backend (MelangeModule.forRoot({}), one @MessageConsumer, default concurrency 32): ' +
      `${CALLERS} concurrent callers publish(), pausing while ${MAX_BACKLOG.toLocaleString('en-US')} messages wait unhandled; rate = messages per second from the first publish() to the last handler call, ` +
      'through serialize (the JSON serializer: its plain-JSON path, the class has no class-transformer decorators) → envelope → ' +
      'in-memory queue → deserialize → route by manifest → handler (called directly: no guard, interceptor or pipe applies) → ack. ' +
      'The loops below it do the same payload without any library: the bare JSON.stringify + JSON.parse asked for by the issue, ' +
      'and the same with class-transformer, which the library used on every message before.',
    rounds: sizes.rounds,
    ratioLabel: '× bare loop',
    columns: [
      { key: 'rate', label: 'msg/s', spread: true, ratio: true },
      { key: 'cpu', label: 'CPU µs/msg', digits: 1 },
    ],
    contenders: [
      loop('bare JSON.stringify + JSON.parse', 'loop, Object.assign into the class', (order) => Object.assign(new OrderPlaced(), JSON.parse(JSON.stringify(order)) as object), true)(sizes),
      loop('JSON + class-transformer', 'loop, instanceToPlain / plainToInstance', (order) =>
        plainToInstance(OrderPlaced, JSON.parse(JSON.stringify(instanceToPlain(order))) as object),
      )(sizes),
      {
        name: 'nestjs-melange, in-memory backend',
        settings: `${CALLERS} callers × publish(), @MessageConsumer(queue)`,
        run: (round) => melangeInMemoryRun(sizes, round),
      },
    ],
  };
}

async function melangeInMemoryRun(sizes: Sizes, round: RoundInfo): Promise<Metrics> {
  const count = round.warmup ? sizes.dispatch / 4 : sizes.dispatch;
  const progress = new Progress(count);
  @Injectable()
  @MessageConsumer('dispatch')
  class DispatchConsumer {
    @OnMessage()
    async handle(order: OrderPlaced): Promise<void> {
      sink(order);
      progress.tick();
    }
  }
  @Module({ imports: [MelangeModule.forRoot({})], providers: [DispatchConsumer] })
  class DispatchModule {}
  const app = await createApp(DispatchModule);
  const publisher = app.get(MelangePublisher);
  const target = { queue: 'dispatch' };
  const cpu = process.cpuUsage();
  const started = performance.now();
  measured.start();
  let next = 0;
  const waiting: Array<() => void> = [];
  progress.onTick = () => {
    if (next - progress.count < MAX_BACKLOG) waiting.splice(0).forEach((wake) => wake());
  };
  await Promise.all(
    Array.from({ length: CALLERS }, async () => {
      while (next < count) {
        if (next - progress.count >= MAX_BACKLOG) await new Promise<void>((resolve) => waiting.push(resolve));
        else await publisher.publish(makeOrder(next++), target);
      }
    }),
  );
  await progress.done;
  measured.stop();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await app.close();
  return { rate: (count * 1000) / elapsed, cpu: (used.user + used.system) / count };
}
