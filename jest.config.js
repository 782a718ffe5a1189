// Two projects: fast unit/integration tests next to the code, and end-to-end tests that
// speak HTTP to the real local server started as a child process.
// ESM-only dependencies (middy, jose) are transpiled to CommonJS for jest's module system.
const transform = {
  '^.+\\.[tj]s$': [
    'ts-jest',
    {
      tsconfig: {
        module: 'commonjs',
        moduleResolution: 'node10',
        allowJs: true,
        isolatedModules: true,
        esModuleInterop: true,
      },
      diagnostics: false,
    },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(@middy|jose|canonicalize)/)'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/infra', '<rootDir>/test/structure'],
      testMatch: ['**/src/**/*.test.ts', '**/test/structure/*.test.ts'],
      globalSetup: '<rootDir>/test/support/softHsmConf.js',
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/test/support/buildOnce.js',
      globalTeardown: '<rootDir>/test/support/removeOrphanLedgers.js',
      // Every response of these suites is checked against docs/openapi.json.
      setupFilesAfterEnv: ['<rootDir>/test/support/openApiContract.ts'],
      transform,
      transformIgnorePatterns,
    },
  ],
};
