import { execFile } from 'node:child_process';
import type { LoggerService } from '@nestjs/common';
import type { ConsumerStatus } from '../../lib/backends/messaging-backend';
import type { RabbitMqBackend } from '../../lib/backends/rabbitmq';
import { Recorder } from '../../lib/testing/conformance/conformance-harness';
import { RabbitMqFactory, rabbitMqUrl } from '../rabbitmq/rabbitmq-support';
import { envelope, sleep, waitFor } from '../support/sqs';
import { LatencyProxy } from './latency-proxy';

const TOTAL = 1000;
/** 250 sends a second, about 4 s of publishing: the close lands while sends are still going out. */
const BATCH = 10;
const BATCH_EVERY_MS = 40;
/** 16 × 80 ms handlers take at most 200 a second, so the consumer always holds messages unacknowledged. */
const CONCURRENCY = 16;
const HANDLER_MS = 80;
/** Confirms reach the publisher this late: at any moment about ten of its sends are unconfirmed. */
const CONFIRM_DELAY_MS = 40;
/** Sends that outlive this reject, and the spec sees a rejection rather than a hang. */
const PUBLISH_TIMEOUT_MS = 10_000;
const RABBITMQCTL_TIMEOUT_MS = 20_000;

/** Runs rabbitmqctl, the broker's own management tool: the close comes from the server, as an operator's would. */
function rabbitmqctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('rabbitmqctl', args, { timeout: RABBITMQCTL_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      if ((error as { code?: unknown }).code === 'ENOENT') {
        return reject(
          new Error(
            'rabbitmqctl is not on PATH, and this spec closes connections from the broker side with it. ' +
              'Install the broker (apt-get install rabbitmq-server) or add the directory holding its rabbitmqctl ' +
              '(often /usr/lib/rabbitmq/bin or /usr/sbin) to PATH; it must run as a user who can read the node\'s Erlang cookie (root or rabbitmq).',
          ),
        );
      }
      reject(new Error(`rabbitmqctl ${args.join(' ')} failed (is the broker running? rabbitmq-server -detached): ${stderr.trim() || error.message}`));
    });
  });
}

/** The broker's process ids of the connections that gave these names (the `connectionName` option). */
async function connectionPids(names: readonly string[]): Promise<Map<string, string>> {
  const listing = await rabbitmqctl('list_connections', '--quiet', '--no-table-headers', 'pid', 'client_properties');
  const pids = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [pid, properties = ''] = line.split('\t');
    for (const name of names) if (properties.includes(`{"connection_name","${name}"}`)) pids.set(name, pid);
  }
  const missing = names.filter((name) => !pids.has(name));
  if (missing.length > 0) throw new Error(`no broker connection named ${missing.join(', ')} in:\n${listing}`);
  return pids;
}

/** Keeps warnings with the time they came, and lets the spec look at the consumer at that moment. */
class WatchingLogger implements LoggerService {
  readonly warnings: { at: number; message: string }[] = [];
  onWarning: (message: string) => void = () => undefined;
  log = (): void => undefined;
  error = (message: unknown): void => this.warn(message);
  warn = (message: unknown): void => {
    this.warnings.push({ at: Date.now(), message: String(message) });
    this.onWarning(String(message));
  };
  debug = (): void => undefined;
  verbose = (): void => undefined;

  /** When the backend reported the connection closed for `reason`, or undefined. */
  closedAt(reason: string): number | undefined {
    return this.warnings.find((line) => line.message.includes('CONNECTION_FORCED') && line.message.includes(reason))?.at;
  }
}

interface Send {
  readonly messageId: string;
  readonly startedAt: number;
  settledAt?: number;
  error?: unknown;
}

/** Sends TOTAL messages in batches, recording when each send started and how it ended. */
async function publishPaced(backend: RabbitMqBackend, queue: string, sends: Send[]): Promise<void> {
  const settling: Promise<void>[] = [];
  for (let sent = 0; sent < TOTAL; sent += BATCH) {
    for (let i = 0; i < BATCH; i += 1) {
      const message = envelope();
      const send: Send = { messageId: message.messageId, startedAt: Date.now() };
      sends.push(send);
      settling.push(
        backend.send(queue, message).then(
          () => void (send.settledAt = Date.now()),
          (error: unknown) => void ((send.settledAt = Date.now()), (send.error = error)),
        ),
      );
    }
    await sleep(BATCH_EVERY_MS);
  }
  await Promise.all(settling);
}

type Side = 'consumer' | 'publisher';

describe('RabbitMQ: connections closed from the management side mid-run (rabbitmqctl close_connection)', () => {
  const factory = new RabbitMqFactory();
  let proxy: LatencyProxy;
  beforeAll(async () => {
    proxy = await LatencyProxy.start(rabbitMqUrl().replace(/^amqp:\/\/[^@]*@/, 'http://'), CONFIRM_DELAY_MS);
  });
  afterAll(async () => {
    await factory.cleanUp();
    await proxy.stop();
  });

  async function closeMidRun(closed: readonly Side[]): Promise<void> {
    const started = Date.now();
    const stamp = `${started}-${closed.join('-')}`;
    const queue = `faults-rabbit-closed-${stamp}`;
    const names: Record<Side, string> = { consumer: `melange-fault-consumer-${stamp}`, publisher: `melange-fault-publisher-${stamp}` };
    const logs: Record<Side, WatchingLogger> = { consumer: new WatchingLogger(), publisher: new WatchingLogger() };
    const consuming = factory.create({ connectionName: names.consumer, logger: logs.consumer });
    const { username, password } = new URL(rabbitMqUrl());
    const publishing = factory.create({
      url: `amqp://${username}:${password}@127.0.0.1:${proxy.port}`,
      connectionName: names.publisher,
      logger: logs.publisher,
      publishTimeoutMs: PUBLISH_TIMEOUT_MS,
    });
    await consuming.declareQueue({ name: queue });
    await publishing.declareQueue({ name: queue });
    const pids = await connectionPids([names.consumer, names.publisher]);

    const recorder = new Recorder(async (delivery) => {
      await sleep(HANDLER_MS);
      await delivery.ack();
    });
    const handle = consuming.consume(queue, recorder.handler, { concurrency: CONCURRENCY });
    const handledIds = (): Set<string> => new Set(recorder.deliveries.map((delivery) => delivery.envelope.messageId));
    // The consumer as it was when its connection went: the handlers running then cannot acknowledge.
    let consumerAtClose: ConsumerStatus | undefined;
    let handledAtClose = 0;
    logs.consumer.onWarning = (message) => {
      if (consumerAtClose || !message.includes('CONNECTION_FORCED')) return;
      consumerAtClose = handle.status();
      handledAtClose = handledIds().size;
    };
    const sends: Send[] = [];
    const publishingDone = publishPaced(publishing, queue, sends);

    await recorder.waitForCount(150, 20_000);
    const reason = `melange fault spec ${stamp}: closed from the management side`;
    await Promise.all(closed.map((side) => rabbitmqctl('close_connection', pids.get(names[side]) ?? '', reason)));
    for (const side of closed) {
      await waitFor(() => logs[side].closedAt(reason) !== undefined, 5000, `the ${side} backend to log that the broker closed its connection, with the reason`);
    }

    await waitFor(() => sends.length === TOTAL && sends.every((send) => send.settledAt !== undefined), 25_000, 'every send to resolve or reject');
    await publishingDone;
    const rejected = sends.filter((send) => send.error !== undefined);
    const confirmed = sends.filter((send) => send.error === undefined);
    await waitFor(() => confirmed.every((send) => handledIds().has(send.messageId)), 25_000, `every confirmed message to be handled (got ${handledIds().size})`);

    const duplicates = recorder.deliveries.length - handledIds().size;
    const publisherClosedAt = logs.publisher.closedAt(reason);
    const sendsAcrossClose = publisherClosedAt === undefined ? 0 : sends.filter((send) => send.startedAt < publisherClosedAt && (send.settledAt ?? Infinity) > publisherClosedAt).length;
    console.log(
      `closed ${closed.join(' and ')} after ${handledAtClose} handled, with ${consumerAtClose?.inFlight ?? '?'} handlers running` +
        (closed.includes('publisher') ? ` and ${sendsAcrossClose} sends unconfirmed` : '') +
        `; ${rejected.length} sends rejected; ${duplicates} delivered twice; ${Date.now() - started} ms\n` +
        `consumer logged: ${logs.consumer.warnings[0]?.message ?? 'nothing'}`,
    );

    // Mid-run, not after it: messages were still to come, and the handlers running could not acknowledge.
    expect(handledAtClose).toBeLessThan(TOTAL);
    expect(consumerAtClose?.inFlight).toBeGreaterThan(0);
    // A send either resolves once the broker has it (on a new connection if its confirm was lost) or
    // rejects; with the broker back at once, the publisher's retry settles every one well in time.
    expect(rejected.map((send) => send.error)).toEqual([]);
    if (closed.includes('publisher')) expect(sendsAcrossClose).toBeGreaterThan(0);
    // No message lost; the ones whose acknowledgement died with the connection came again.
    expect(confirmed.filter((send) => !handledIds().has(send.messageId))).toEqual([]);
    expect(duplicates).toBeGreaterThan(0);
    expect(handle.status()).toMatchObject({ failing: false, lastError: undefined });
    // The operator reads why in the log: the broker's code and the reason given to rabbitmqctl.
    for (const side of closed) {
      expect(logs[side].warnings.find((line) => line.at === logs[side].closedAt(reason))?.message).toMatch(/CONNECTION_FORCED.*closed from the management side/);
    }
    // Only the named connections were closed: the other backend saw nothing.
    for (const side of (['consumer', 'publisher'] as const).filter((side) => !closed.includes(side))) {
      expect(logs[side].warnings).toEqual([]);
    }
    await handle.stop();
  }

  it("the consumer's connection: nothing lost, what it held unacknowledged comes again, and it recovers", () => closeMidRun(['consumer']), 60_000);

  it("the consumer's and the publisher's at once: sends in flight still resolve, nothing lost", () => closeMidRun(['consumer', 'publisher']), 60_000);
});
