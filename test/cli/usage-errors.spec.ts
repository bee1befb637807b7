import { runCli, SAMPLE_MODULE } from './cli-harness';

// Each is refused before the app is loaded or the broker asked: no server is needed, and the
// endpoint points nowhere to prove it.
const NOWHERE = { MELANGE_SQS_ENDPOINT: 'http://127.0.0.1:9' };

describe('nestjs-melange, called wrongly', () => {
  it.each([
    ['no command', []],
    ['an unknown command', ['--module', SAMPLE_MODULE, 'frobnicate']],
    ['an unknown option', ['--module', SAMPLE_MODULE, 'queues', '--frob']],
    ['a missing argument', ['--module', SAMPLE_MODULE, 'dlq', 'peek']],
    ['a count that is not a number', ['--module', SAMPLE_MODULE, 'dlq', 'peek', 'sample-payments', '--max', 'lots']],
    ['a rate of zero', ['--module', SAMPLE_MODULE, 'dlq', 'redrive', 'sample-payments', '--max-per-second', '0']],
    ['a purge without confirmation', ['--module', SAMPLE_MODULE, 'purge', 'sample-payments']],
    ['a purge confirming another queue', ['--module', SAMPLE_MODULE, 'purge', 'sample-payments', '--confirm', 'sample-orders']],
    ['no module and no config file', ['queues']],
    ['a module file that does not exist', ['--module', 'dist/nothing.js', 'queues']],
  ])('%s: prints usage on stderr and exits with 2', async (_case, args) => {
    const run = await runCli(args, NOWHERE);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(/Usage: nestjs-melange|run with --help for usage/);
  }, 60_000);

  it('--help prints usage on stdout and exits with 0', async () => {
    const run = await runCli(['--help'], NOWHERE);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: nestjs-melange [options] [command]');
    for (const command of ['queues', 'dlq', 'declare', 'purge']) expect(run.stdout).toContain(command);
  }, 60_000);

  it('a broker that cannot be reached is a failure, exit code 1, not a usage error', async () => {
    const run = await runCli(['--module', SAMPLE_MODULE, 'queues'], NOWHERE);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: /m);
  }, 90_000);
});
