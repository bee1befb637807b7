/** Type-checking is done once by `npm run typecheck`; Jest only transpiles, which keeps the suite fast. */
module.exports = {
  // Node's environment, failing any test during which the process sees an unhandled rejection or
  // an uncaught exception (test/support/strict-node-environment.ts).
  testEnvironment: '<rootDir>/test/support/strict-node-environment.ts',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  // test/compat/ holds standalone apps run by `npm run test:compat`, not Jest specs.
  testPathIgnorePatterns: ['/node_modules/', '/test/compat/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 30000,
  // A running consumer keeps its process alive by design (as an HTTP server does), so a spec that
  // forgot to close its app would hold the whole run open after the last test. Once the
  // results are in, Jest exits; the strict environment still fails a spec on an escaped error.
  forceExit: true,
  // Starts a local SQS/SNS server on 127.0.0.1 for the SQS specs; see test/support/sqs-global-setup.ts.
  globalSetup: '<rootDir>/test/support/sqs-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/sqs-global-teardown.ts',
};
