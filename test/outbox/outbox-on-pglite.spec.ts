import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sqsEndpoint, uniqueName } from '../support/sqs';

// PGlite runs in a child process: Jest's module sandbox refuses the dynamic imports it loads its
// WebAssembly with. test/fixtures/outbox-on-pglite.ts does the work and reports what it saw.
describe('the outbox on PGlite', () => {
  it('sends what commits, keeps FIFO groups in commit order, sends nothing of what rolls back, and runs inbox handlers once', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, '../fixtures/outbox-on-pglite.ts')],
      { env: { ...process.env, SQS_ENDPOINT: sqsEndpoint(), QUEUE: uniqueName('outbox-pglite') }, timeout: 60_000 },
    );
    const report = JSON.parse(stdout.trim().split('\n').pop()!);

    const steps = Array.from({ length: 10 }, (_, step) => step);
    expect(report).toEqual({
      handled: ['o-1', 'o-3'],
      relayed: 22,
      pending: 0,
      rolledBack: true,
      rows: ['o-1'],
      inbox: { runs: ['o-1'], duplicates: 1, payments: ['o-1'] },
      groups: { a: steps, b: steps },
    });
  }, 90_000);
});
