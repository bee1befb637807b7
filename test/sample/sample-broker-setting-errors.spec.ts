import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { DATABASE_URL } from '../support/local-postgres';
import { freePort } from '../support/ports';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';

/*
 * `npm run sample` with a broker setting it cannot use ends with exit code 1 and one line that says
 * what is wrong and what to do, instead of a stack trace to decode.
 */
const ROOT = join(__dirname, '../..');
const TS_NODE = join(ROOT, 'node_modules/ts-node/dist/bin.js');
const RUN_TIMEOUT_MS = 60_000;
/** The real server rather than PGlite, which takes seconds to start; the orders table goes in a schema of this spec's. */
const SCHEMA = `sample_${randomUUID().slice(0, 8)}`;

function runSample(settings: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...settings, DATABASE_URL, DATABASE_SCHEMA: SCHEMA, PORT: '0', NO_COLOR: '1' };
  delete env[SQS_ENDPOINT_ENV];
  const child = spawn(process.execPath, [TS_NODE, '--transpile-only', 'sample-app/src/main.ts', '--demo'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sample still runs after ${RUN_TIMEOUT_MS} ms:\n${output.slice(-3000)}`));
    }, RUN_TIMEOUT_MS);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('npm run sample with a broker setting it cannot use', () => {
  afterAll(async () => {
    const pool = new Pool({ connectionString: DATABASE_URL });
    await pool.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await pool.end();
  });

  it(
    'names MELANGE_BROKER and the values it takes when given another, and starts nothing',
    async () => {
      const { code, output } = await runSample({ MELANGE_BROKER: 'kafka' });

      expect({ code, output }).toMatchObject({ code: 1, output: expect.stringContaining('MELANGE_BROKER must be one of "sqs", "rabbitmq" (unset: "sqs"), got "kafka"') });
      expect(output).not.toContain('SQS/SNS server');
      expect(output).not.toContain('Starting Nest application');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'says where it looked for RabbitMQ, with the password masked, and how to start it, when nothing answers there',
    async () => {
      const port = await freePort();
      const { code, output } = await runSample({ MELANGE_BROKER: 'rabbitmq', RABBITMQ_URL: `amqp://guest:s3cret@127.0.0.1:${port}` });

      expect(code).toBe(1);
      expect(output).toContain(`its messages go through RabbitMQ at amqp://guest:***@127.0.0.1:${port} (RABBITMQ_URL)`);
      expect(output).toContain('Start it with "rabbitmq-server -detached"');
      expect(output).not.toContain('s3cret');
      expect(output).not.toContain('SQS/SNS server');
    },
    RUN_TIMEOUT_MS,
  );

  it(
    'refuses MELANGE_AUTO_CREATE=false on RabbitMQ, saying why',
    async () => {
      const { code, output } = await runSample({ MELANGE_BROKER: 'rabbitmq', MELANGE_AUTO_CREATE: 'false' });

      expect(code).toBe(1);
      expect(output).toContain('MELANGE_AUTO_CREATE=false is for SQS only');
    },
    RUN_TIMEOUT_MS,
  );
});
