/** Browser end-to-end tests of the web client: `npm run test:browser` (builds dist/web first). */
/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file that jest loads as is */
const { resolve } = require('node:path');
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('../../../tsconfig.json');

/** @type {import('jest').Config} */
module.exports = {
  rootDir: resolve(__dirname, '../../..'),
  testEnvironment: 'node',
  testRegex: 'apps/web/e2e/.*\\.e2e-spec\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // The server suites' transforms: the stack runs in this process, with its ESM-only packages.
  transform: require('../../../jest.config.js').transform,
  transformIgnorePatterns: require('../../../jest.config.js').transformIgnorePatterns,
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  // A fresh database (on DATABASE_URL's server, or an embedded PostgreSQL), Redis (REDIS_URL, or a
  // private redis-server) and s3rver per run, exactly as the server suites get them.
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Stops the worlds a file left running (a beforeAll that timed out, say): see setup-worlds.ts.
  setupFilesAfterEnv: ['<rootDir>/apps/web/e2e/setup-worlds.ts'],
  testTimeout: 120_000,
  forceExit: require('../../../jest.config.js').forceExit,
  // One browser and one stack at a time: the suites are heavy and share nothing.
  maxWorkers: 1,
};
