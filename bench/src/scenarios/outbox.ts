import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { pgOutboxDatabase, type MelangePublisher, type OutboxRelayOptions } from '../../../lib';
import { outboxSchemaSql } from '../../../lib/outbox/outbox-schema';
import { startMelangeApp } from '../apps';
import { freshName } from '../aws';
import type { ServerScope, Sizes } from '../context';
import { makeOrder, nowMs } from '../message';
import type { Contender, Metrics, RoundInfo, Scenario } from '../runner';
import { quantile, sleep } from '../stats';

/** The PostgreSQL server the outbox contenders write to (the one the specs use). */
const DATABASE_URL = process.env.MELANGE_BENCH_DATABASE_URL ?? process.env.MELANGE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Connections, and so transactions in flight at once, in the throughput run. */
const WRITERS = 8;

type Send = (publisher: MelangePublisher, pool: Pool | undefined, order: ReturnType<typeof makeOrder>, queue: string) => Promise<unknown>;

const direct: Send = (publisher, _, order, queue) => publisher.publish(order, { queue });

/** What an application does: its own write and the message, in one transaction. */
const inTransaction: Send = async (publisher, pool, order, queue) => {
  const client = await pool!.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT 1');
    await publisher.publish(order, { queue }, { transaction: client });
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
};

/**
 * Commit-to-handler latency through the outbox, with LISTEN/NOTIFY and with polling only, and the
 * relay's throughput, against `publish()` straight to the broker in the same run.
 */
export function outboxScenario(server: ServerScope, sizes: Sizes): Scenario {
  const contender = (name: string, settings: string, send: Send, relay?: OutboxRelayOptions, baseline = false): Contender => ({
    name,
    settings,
    baseline,
    run: (round) => outboxRun(server, sizes, round, send, relay),
  });
  const count = sizes.latencyRate * sizes.latencySeconds;
  return {
    id: 'outbox',
    title: `7. Outbox: commit → handler at ${sizes.latencyRate} msg/s, and relay throughput`,
    description:
      `Latency: ${count} messages at ${sizes.latencyRate} per second (open loop), each in a transaction of its own on the local ` +
      'PostgreSQL server (BEGIN, a statement, publish, COMMIT), from just before BEGIN to the start of the handler in the same ' +
      `process; the baseline publishes straight to the queue with publish(). Throughput: ${sizes.publish} messages written by ` +
      `${WRITERS} connections in transactions of one message each, as fast as they commit, while the relay runs; rate = messages ` +
      'per second from the first write to the last handler call. Each contender has a fresh schema and queue per run.',
    rounds: sizes.rounds,
    setUp: () => server.start(),
    tearDown: () => server.stop(),
    columns: [
      { key: 'p50', label: 'p50 ms', digits: 1, ratio: true },
      { key: 'p99', label: 'p99 ms', digits: 1, spread: true, ratio: true },
      { key: 'rate', label: 'throughput msg/s', digits: 0, spread: true, ratio: true },
    ],
    ratioLabel: '× publish()',
    contenders: [
      contender('publish(), no outbox', 'publish() to the queue; same consumer', direct, undefined, true),
      contender('outbox, LISTEN/NOTIFY', 'publish(m, { transaction }); relay wakes on commit', inTransaction, {}),
      contender('outbox, polling only', 'publish(m, { transaction }); relay polls every 1 s', inTransaction, { listen: false, pollIntervalMs: 1000 }),
    ],
  };
}

async function outboxRun(server: ServerScope, sizes: Sizes, round: RoundInfo, send: Send, relay: OutboxRelayOptions | undefined): Promise<Metrics> {
  const queue = freshName('outbox');
  const url = await server.admin.createQueue(queue);
  const schema = `bench_${randomUUID().slice(0, 8)}`;
  const pool = relay ? new Pool({ connectionString: DATABASE_URL, max: WRITERS + 2 }) : undefined;
  // The table exists before the app (and its relay) starts, as after a deploy's migration step.
  if (pool) await pool.query(`CREATE SCHEMA ${schema}; ${outboxSchemaSql(schema)}`);
  const handledAt: number[] = [];
  const latencies: number[] = [];
  const { app, publisher } = await startMelangeApp({
    endpoint: server.endpoint,
    queue,
    module: pool ? { outbox: { database: pgOutboxDatabase(pool), schema, relay }, autoCreate: false } : {},
    onOrder: (order) => {
      handledAt.push(performance.now());
      if (order.sentAt > 0) latencies.push(nowMs() - order.sentAt);
    },
  });
  try {
    await sleep(300);
    const seconds = round.warmup ? Math.max(1, sizes.latencySeconds / 2) : sizes.latencySeconds;
    const latencyCount = Math.round(sizes.latencyRate * seconds);
    const interval = 1000 / sizes.latencyRate;
    const start = performance.now();
    const sends: Promise<unknown>[] = [];
    for (let index = 0; index < latencyCount; index++) {
      const wait = start + index * interval - performance.now();
      if (wait > 1) await sleep(wait);
      sends.push(send(publisher, pool, makeOrder(index, nowMs()), queue));
    }
    await Promise.all(sends);
    await until(() => handledAt.length >= latencyCount, 10_000);

    const total = round.warmup ? Math.round(sizes.publish / 4) : sizes.publish;
    handledAt.length = 0;
    const firstWrite = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (next < total) await send(publisher, pool, makeOrder(latencyCount + next++), queue);
      }),
    );
    await until(() => handledAt.length >= total, 60_000);
    const rate = (handledAt.length / Math.max(1, handledAt[handledAt.length - 1] - firstWrite)) * 1000;
    return { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), rate, missing: latencyCount - latencies.length + total - handledAt.length };
  } finally {
    await app.close();
    await server.admin.deleteQueue(url);
    if (pool) {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    }
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition() && Date.now() < deadline; ) await sleep(5);
}
