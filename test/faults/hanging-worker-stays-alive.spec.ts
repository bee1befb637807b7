import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { sqsEndpoint, uniqueName, waitFor } from '../support/sqs';

/*
 * In a worker made with createApplicationContext, nothing but the consumer holds the event loop.
 * When every slot is held by a handler that never settles, the process used to exit with code 0,
 * silently, and the queue was no longer consumed.
 */
describe('a standalone worker whose handlers never settle', () => {
  it('is still alive after 10 s, and its health says the consumer is busy, not down', async () => {
    const lines: string[] = [];
    let exit: number | null | undefined;
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../fixtures/hanging-worker.ts')], {
      env: { ...process.env, SQS_ENDPOINT: sqsEndpoint(), QUEUE: uniqueName('hanging-worker') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    child.on('exit', (code) => (exit = code));
    try {
      await waitFor(() => lines.includes('handling 2') || exit !== undefined, 20_000, 'both handlers to start');
      const since = Date.now();
      await waitFor(() => Date.now() - since >= 10_000 || exit !== undefined, 12_000, '10 s to pass or the worker to exit');

      expect(exit).toBeUndefined();
      const last = JSON.parse(lines.filter((line) => line.startsWith('health ')).at(-1)!.slice('health '.length)) as {
        healthy: boolean;
        consumers: Record<string, Record<string, unknown>>;
      };
      expect(last.healthy).toBe(true);
      expect(Object.values(last.consumers.sqs ?? {})).toEqual([expect.objectContaining({ up: true, state: 'running', saturated: true, inFlight: 2 })]);
    } finally {
      child.kill('SIGKILL');
    }
  }, 40_000);
});
