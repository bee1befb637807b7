import { spawn } from 'node:child_process';
import { join } from 'node:path';

describe('app.enableShutdownHooks() and SIGTERM', () => {
  it('lets the running handler finish, starts no other, then exits', async () => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, '../fixtures/sigterm-app.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('started 1')) resolve();
      }),
    );

    child.kill('SIGTERM');
    const exit = await exited;

    expect(output.trim().split('\n')).toEqual(['started 1', 'finished 1', 'shut down on SIGTERM']);
    // Nest re-raises the signal once the hooks have run.
    expect(exit).toBe('SIGTERM');
  });
});
