import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Page } from 'playwright-core';
import { startLocalSqsServer, type LocalSqsServer } from '../support/local-sqs-server';
import { CREDENTIALS, REGION } from '../support/sqs';

const FIXTURE = join(__dirname, '../fixtures/dashboard-sample.ts');

/**
 * The sample app with the dashboard (test/fixtures/dashboard-sample.ts) in a child process, on a
 * local SQS server of the spec's own: the sample's queue names are fixed, and other specs use them
 * on the shared server.
 */
export class SampleServer {
  private server: LocalSqsServer | undefined;
  private app: ChildProcess | undefined;
  sqs!: SQSClient;

  /** Resolves to the dashboard's URL once the app listens. */
  async start(): Promise<string> {
    this.server = await startLocalSqsServer();
    this.sqs = new SQSClient({ region: REGION, endpoint: this.server.endpoint, credentials: CREDENTIALS });
    const app = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', FIXTURE], {
      env: { ...process.env, MELANGE_SQS_ENDPOINT: this.server.endpoint, MELANGE_SQS_WAIT_SECONDS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.app = app;
    let stderr = '';
    app.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the dashboard app did not start in 90 s: ${stderr}`)), 90_000);
      app.stdout?.on('data', (chunk: Buffer) => {
        const line = chunk.toString('utf8').split('\n').find((text) => text.startsWith('{"url"'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      app.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the dashboard app exited (${code}) before listening: ${stderr}`));
      });
    });
  }

  async queueUrl(name: string): Promise<string> {
    return (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
  }

  async visible(name: string): Promise<number> {
    const response = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl: await this.queueUrl(name), AttributeNames: ['ApproximateNumberOfMessages'] }));
    return Number(response.Attributes?.ApproximateNumberOfMessages);
  }

  async waitForVisible(name: string, count: number, timeoutMs = 20_000): Promise<void> {
    let last = -1;
    const deadline = Date.now() + timeoutMs;
    while ((last = await this.visible(name)) !== count) {
      if (Date.now() > deadline) throw new Error(`${name} holds ${last} visible messages, not ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<void> {
    const app = this.app;
    if (app && app.exitCode === null && app.signalCode === null) {
      const exited = new Promise((resolve) => app.once('exit', resolve));
      app.kill('SIGTERM');
      const timer = setTimeout(() => app.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    this.sqs?.destroy();
    await this.server?.stop();
  }
}

/**
 * Waits until the queue's row counts `total` messages visible and in flight together: a message
 * redriven while the consumer is paused may be held by the long poll pause() cut short (a server
 * can answer a poll whose client went away), so it is on the queue either way, not handled.
 */
export async function expectOnQueue(page: Page, queue: string, total: number, timeoutMs = 15_000): Promise<void> {
  const row = page.locator(`#queues tr[data-queue="${queue}"]`);
  const count = async (name: string) => Number(((await row.locator(`[data-count="${name}"]`).textContent()) ?? '').trim());
  let seen = 0;
  const deadline = Date.now() + timeoutMs;
  while ((seen = (await count('visible')) + (await count('inFlight'))) !== total) {
    if (Date.now() > deadline) throw new Error(`row ${queue} counts ${seen} visible and in flight, expected ${total}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the queue's row shows these counts (the page refreshes itself). */
export async function expectRow(page: Page, queue: string, counts: Partial<Record<'visible' | 'inFlight' | 'delayed', string>>, timeoutMs = 15_000): Promise<void> {
  const row = page.locator(`#queues tr[data-queue="${queue}"]`);
  let seen: Record<string, string | null> = {};
  const matches = async (): Promise<boolean> => {
    seen = {};
    for (const name of Object.keys(counts)) seen[name] = ((await row.locator(`[data-count="${name}"]`).textContent()) ?? '').trim();
    return Object.entries(counts).every(([name, value]) => seen[name] === value);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await matches())) {
    if (Date.now() > deadline) throw new Error(`row ${queue} shows ${JSON.stringify(seen)}, expected ${JSON.stringify(counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
