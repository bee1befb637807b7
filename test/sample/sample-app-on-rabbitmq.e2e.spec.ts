import { connect } from 'amqplib';
import { execFile, spawn, type ChildProcessByStdio } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Pool } from 'pg';
import { rabbitMqUrl } from '../rabbitmq/rabbitmq-support';
import { DATABASE_URL } from '../support/local-postgres';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';
import { orderFlowSpecs } from './sample-order-flows';

/*
 * The sample app as `MELANGE_BROKER=rabbitmq npm run sample` runs it: main.ts in a process of its
 * own (where the choice to start an embedded SQS server or not is made), real HTTP on 127.0.0.1,
 * the machine's RabbitMQ. The same outcomes as sample-app.e2e.spec.ts on SQS.
 *
 * The app declares fixed names ("sample-payments"...), so it gets a virtual host of its own per
 * run: no leftover of an earlier run, or of someone's `npm run sample`, can reach it, and deleting
 * the vhost afterwards deletes every queue, exchange and binding the run made.
 */
const ROOT = join(__dirname, '../..');
const TS_NODE = join(ROOT, 'node_modules/ts-node/dist/bin.js');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const DEAD_LETTER_QUEUES = ['sample-payments-dlq', 'sample-orders-payments-dlq.fifo', 'sample-notifications-dlq.fifo'];
const FIFO_QUEUES = ['sample-orders-payments.fifo', 'sample-notifications.fifo'];

const run = promisify(execFile);

/** A vhost is made with the server's own tool: AMQP has no operation for it. */
async function rabbitmqctl(...args: string[]): Promise<void> {
  try {
    await run('rabbitmqctl', args, { timeout: 30_000 });
  } catch (error) {
    throw new Error(
      `rabbitmqctl ${args.join(' ')} failed (${error instanceof Error ? error.message : String(error)}). This spec gives the sample ` +
        `a RabbitMQ virtual host of its own, which needs rabbitmqctl for the server of MELANGE_TEST_RABBITMQ_URL on this machine.`,
    );
  }
}

interface RunningApp {
  readonly process: ChildProcessByStdio<null, Readable, Readable>;
  readonly pid: number;
  readonly url: string;
  readonly broker: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function startApp(env: NodeJS.ProcessEnv): Promise<RunningApp> {
  // The command `npm run sample` runs, without npm in between: the app is this child.
  const child = spawn(process.execPath, [TS_NODE, '--transpile-only', 'sample-app/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise<RunningApp>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sample did not start in ${START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const started = /Sample app on (http:\/\/127\.0\.0\.1:\d+), messages through (.+)\.\n/.exec(output);
      const pid = /\[Nest\] (\d+) /.exec(output);
      if (started && pid) {
        clearTimeout(timer);
        resolve({ process: child, pid: Number(pid[1]), url: started[1], broker: started[2], output: () => output, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the sample exited (${code}) before it started:\n${output.slice(-3000)}`));
    });
  });
}

/** The processes whose parent is `pid`: an embedded SQS server would be one, for as long as the app runs. */
async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await run('ps', ['-A', '-o', 'pid=,ppid=']);
  return stdout
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter(([, parent]) => parent === pid)
    .map(([child]) => child);
}

describe('the sample app with MELANGE_BROKER=rabbitmq, over HTTP and RabbitMQ', () => {
  const vhost = `melange-sample-${randomUUID().slice(0, 8)}`;
  const schema = `sample_${randomUUID().slice(0, 8)}`;
  const broker = new URL(rabbitMqUrl());
  broker.pathname = `/${vhost}`;
  const brokerUrl = broker.toString();
  let app: RunningApp | undefined;
  let vhostCreated = false;

  beforeAll(async () => {
    await rabbitmqctl('add_vhost', vhost);
    vhostCreated = true;
    await rabbitmqctl('set_permissions', '-p', vhost, decodeURIComponent(broker.username) || 'guest', '.*', '.*', '.*');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MELANGE_BROKER: 'rabbitmq',
      RABBITMQ_URL: brokerUrl,
      PORT: '0',
      PAYMENT_LIMIT: '1000',
      // The real server, in a schema of this spec's, as the SQS spec does: it starts faster than PGlite.
      DATABASE_URL,
      DATABASE_SCHEMA: schema,
      NO_COLOR: '1',
    };
    // Jest's global setup sets it for the SQS specs; without it, the sample on SQS would start its own server.
    delete env[SQS_ENDPOINT_ENV];
    app = await startApp(env);
  }, START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    if (app && app.process.exitCode === null) {
      app.process.kill('SIGKILL');
      await app.exited;
    }
    const pool = new Pool({ connectionString: DATABASE_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
    if (vhostCreated) await rabbitmqctl('delete_vhost', vhost);
  }, 40_000);

  /** Messages in each dead-letter queue; a queue that was not declared fails the spec (404). */
  async function deadLettered(): Promise<Record<string, number>> {
    const connection = await connect(brokerUrl);
    try {
      const channel = await connection.createChannel();
      // A 404 closes the channel; without a listener that would be an uncaught error, not a failed expectation.
      channel.on('error', () => undefined);
      const counts: Record<string, number> = {};
      for (const queue of DEAD_LETTER_QUEUES) counts[queue] = (await channel.checkQueue(queue)).messageCount;
      return counts;
    } finally {
      await connection.close();
    }
  }

  it('runs on the RabbitMQ of RABBITMQ_URL and starts no SQS server', async () => {
    expect(app!.broker).toBe(`RabbitMQ at ${brokerUrl.replace(/:[^:@/]*@/, ':***@')}`);
    expect(app!.output()).not.toContain('SQS/SNS server');
    // On SQS without an endpoint the embedded server would be a child process of the app.
    expect(await childrenOf(app!.pid)).toEqual([]);
  });

  orderFlowSpecs({ url: () => app!.url, output: () => app!.output() }, async () => {
    // FIFO on RabbitMQ is a single-active-consumer queue: declaring one with that argument succeeds
    // only if the app declared it so (the broker answers 406 to a declaration that differs).
    const connection = await connect(brokerUrl);
    try {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      for (const queue of FIFO_QUEUES) {
        await expect(channel.assertQueue(queue, { durable: true, arguments: { 'x-single-active-consumer': true } })).resolves.toMatchObject({ queue });
      }
    } finally {
      await connection.close();
    }
  });

  it('dead-letters nothing: the bindings keep PaymentStarted and the like away from queues without a handler for them', async () => {
    // Runs after the orders above settled and were notified, so every event has been delivered.
    // The vhost is this run's, so the dead-letter queues started empty.
    expect(await deadLettered()).toEqual(Object.fromEntries(DEAD_LETTER_QUEUES.map((queue) => [queue, 0])));
  });

  it('stops on SIGTERM once its consumers have drained, with exit code 0', async () => {
    app!.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([app!.exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    expect({ code, output: app!.output().slice(-2000) }).toMatchObject({ code: 0, output: expect.stringContaining('draining the consumers') });
  });
});
