import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * Every spec runs in test/support/strict-node-environment.ts, which fails a test during which the
 * process saw an unhandled rejection or an uncaught exception. This runs a fixture that leaves
 * both behind, in a Jest of its own with that environment, and checks that it fails and says why.
 */
describe('the spec environment', () => {
  it('fails a test during which the process saw an unhandled rejection or an uncaught exception', () => {
    const root = join(__dirname, '..', '..');
    const config = {
      rootDir: root,
      roots: ['<rootDir>/test/fixtures/unhandled'],
      testMatch: ['**/*.fixture.ts'],
      testEnvironment: '<rootDir>/test/support/strict-node-environment.ts',
      transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
    };

    const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--config', JSON.stringify(config), '--ci'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Jest 30 reports these too, against the test it thinks caused them; the environment's own
    // lines show it saw both, whatever Jest does.
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('✕ passes its assertions but leaves a rejection nobody handles');
    expect(run.stderr).toContain('The process saw 1 unhandled rejection(s) or uncaught exception(s) during this test:');
    expect(run.stderr).toContain('unhandled rejection: Error: nobody handles this');
    expect(run.stderr).toContain('uncaught exception: Error: thrown from a timer');
  });
});
