import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope, waitFor } from '../support/sqs';
import { RabbitMqFactory, rabbitMqUrl } from '../rabbitmq/rabbitmq-support';
import { Recorder } from '../../lib/testing/conformance/conformance-harness';

const TOTAL = 2000;
const CHILD = join(__dirname, '../rabbitmq/rabbitmq-consumer-child.ts');

describe('RabbitMQ: a consumer killed with SIGKILL during 2,000 messages', () => {
  const factory = new RabbitMqFactory();
  const dir = mkdtempSync(join(tmpdir(), 'melange-rabbit-kill-'));
  afterAll(async () => {
    await factory.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses none: what the killed process did not acknowledge goes to the next consumer', async () => {
    const backend = factory.create();
    const queue = `faults-rabbit-kill-${Date.now()}`;
    await backend.declareQueue({ name: queue });
    const sent = Array.from({ length: TOTAL }, () => envelope());
    await Promise.all(sent.map((message) => backend.send(queue, message)));

    const file = join(dir, 'child.log');
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD], {
      env: { ...process.env, RABBIT_QUEUE: queue, RABBIT_RECORD_FILE: file, RABBIT_URL: rabbitMqUrl() },
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const recordedByChild = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
    await waitFor(() => recordedByChild().length >= 400, 30_000, 'the child to handle 400 messages');
    child.kill('SIGKILL');
    await exited;

    const rest = new Recorder();
    backend.consume(queue, rest.handler, { concurrency: 32 });
    const killedAfter = recordedByChild();
    await waitFor(() => new Set([...killedAfter, ...rest.deliveries.map((delivery) => delivery.envelope.messageId)]).size >= TOTAL, 30_000, 'every message');
    const handled = [...killedAfter, ...rest.deliveries.map((delivery) => delivery.envelope.messageId)];
    const distinct = new Set(handled);
    console.log(`SIGKILL after ${killedAfter.length} handled by the child; ${handled.length - distinct.size} delivered twice`);
    expect(sent.filter((message) => !distinct.has(message.messageId))).toEqual([]);
  }, 90_000);
});
