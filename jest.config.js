/** @type {import('jest').Config} */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

// ESM-only packages (Node requires them, jest's runtime cannot): compiled to CommonJS with esbuild
// by test/support/esm-to-cjs.cjs. Add a package here when jest says "Must use import to load ES Module".
const ESM_ONLY = '(openid-client|oauth4webapi|jose|@scure/base|@noble/hashes)';

module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testRegex: '(apps|libs|test|scripts)/.*\\.(spec|e2e-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/apps/web/e2e/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: {
    // Type checking is `npm run check`'s job; tests only transpile, which keeps them fast.
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    [`/node_modules/${ESM_ONLY}/.+\\.js$`]: '<rootDir>/test/support/esm-to-cjs.cjs',
  },
  // Also when nested (node_modules/a/node_modules/<package>).
  transformIgnorePatterns: [`^(?!.*/node_modules/${ESM_ONLY}/).*/node_modules/`],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
  // Under CI a handle a suite leaked must not hold the run until its time limit: jest exits once the
  // tests are done (and says it forced the exit). Locally it keeps waiting, which shows the leak.
  forceExit: process.env.CI === 'true',
};
