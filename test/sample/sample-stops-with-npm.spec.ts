import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SQS_ENDPOINT_ENV } from '../support/sqs-env';

/*
 * `npm run sample` stopped as a process manager stops it (SIGTERM to the npm process only: npm
 * hands it to the `sh -c` it started, which ends without passing it on) and as Ctrl-C does (SIGINT
 * to the whole process group). The app and its embedded SQS server must go down either way and
 * give their ports back.
 */
const ROOT = join(__dirname, '../..');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface RunningNpmSample {
  readonly npm: ChildProcessByStdio<null, Readable, Readable>;
  readonly appPid: number;
  readonly httpPort: number;
  readonly serverPort: number;
  readonly output: () => string;
}

function startNpmSample(): Promise<RunningNpmSample> {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', NO_COLOR: '1' };
  // Without an endpoint the sample starts its own server, which must stop with it.
  delete env[SQS_ENDPOINT_ENV];
  // A process group of its own, as a terminal gives a command: Ctrl-C signals the group.
  const npm = spawn('npm', ['run', 'sample'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  return new Promise<RunningNpmSample>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the sample did not start in ${START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`)), START_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const http = /Sample app on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      const server = /embedded SQS\/SNS server \(fauxqs\) listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      const app = /\[Nest\] (\d+) /.exec(output);
      if (http && server && app) {
        clearTimeout(timer);
        resolve({ npm, appPid: Number(app[1]), httpPort: Number(http[1]), serverPort: Number(server[1]), output: () => output });
      }
    };
    npm.stdout.on('data', onData);
    npm.stderr.on('data', onData);
    npm.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`npm run sample exited (${code ?? signal}) before the app started:\n${output.slice(-3000)}`));
    });
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function goneWithin(sample: RunningNpmSample, timeoutMs: number): Promise<{ app: boolean; http: boolean; server: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = { app: alive(sample.appPid), http: await listening(sample.httpPort), server: await listening(sample.serverPort) };
    if ((!state.app && !state.http && !state.server) || Date.now() > deadline) return state;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('npm run sample, stopped through the npm process', () => {
  let sample: RunningNpmSample | undefined;

  afterEach(() => {
    // A failed spec must not leave the app behind; its server goes with it (stdin pipe).
    if (sample && alive(sample.appPid)) process.kill(sample.appPid, 'SIGKILL');
    if (sample?.npm.pid !== undefined && alive(sample.npm.pid)) process.kill(-sample.npm.pid, 'SIGKILL');
    sample = undefined;
  });

  it.each([
    ['SIGTERM to the npm process', 'SIGTERM', false],
    ['SIGINT to its process group (Ctrl-C)', 'SIGINT', true],
  ] as const)(
    'goes down with its embedded server on %s, leaving no process and no port behind',
    async (_, signal, wholeGroup) => {
      sample = await startNpmSample();
      expect(await listening(sample.httpPort)).toBe(true);

      process.kill(wholeGroup ? -sample.npm.pid! : sample.npm.pid!, signal);

      const state = await goneWithin(sample, STOP_TIMEOUT_MS);
      if (state.app || state.http || state.server) {
        throw new Error(`still there after ${STOP_TIMEOUT_MS} ms: ${JSON.stringify(state)}\n${sample.output().slice(-3000)}`);
      }
      expect(sample.output()).toContain('draining the consumers');
    },
    START_TIMEOUT_MS + STOP_TIMEOUT_MS + 10_000,
  );
});
