/** Unit tests run alone (fast, no server); integration tests share one real dev server per run. */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
};

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 120_000,
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      // Worker warnings are kept, not printed, and shown only for a test that fails (test/support/testLog.ts).
      testEnvironment: '<rootDir>/test/support/quietEnvironment.ts',
      setupFiles: ['<rootDir>/test/support/quietSetup.ts'],
      globalSetup: '<rootDir>/test/support/globalSetup.ts',
      globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
    },
  ],
};
