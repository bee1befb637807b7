// Runs the CLI as a user would, in a child process (through ts-node, as the sample app is
// TypeScript), against the sample app's module, on a local SQS server of the spec's own: the sample's
// queue names are fixed, and other specs use them on the shared server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalSqsServer, type LocalSqsServer } from '../support/local-sqs-server';
import { CREDENTIALS, REGION } from '../support/sqs';

export const ROOT = join(__dirname, '../..');
export const CLI = join(ROOT, 'lib/cli/main.ts');
export const SAMPLE_MODULE = 'sample-app/src/app.module.ts';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CLI, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`nestjs-melange ${args.join(' ')} ran over ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A local SQS server for one spec file, and the CLI pointed at it with the sample's module. */
export class SampleCli {
  private server: LocalSqsServer | undefined;
  sqs!: SQSClient;

  async start(): Promise<void> {
    this.server = await startLocalSqsServer();
    this.sqs = new SQSClient({ region: REGION, endpoint: this.server.endpoint, credentials: CREDENTIALS });
  }

  run(...args: string[]): Promise<CliRun> {
    if (!this.server) throw new Error('start() first');
    return runCli(['--module', SAMPLE_MODULE, ...args], { MELANGE_SQS_ENDPOINT: this.server.endpoint, AWS_REGION: REGION });
  }

  async stop(): Promise<void> {
    this.sqs?.destroy();
    await this.server?.stop();
  }
}

export function parseJson<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (error) {
    throw new Error(`stdout is not JSON (${String(error)}): ${run.stdout}\nstderr: ${run.stderr}`);
  }
}
