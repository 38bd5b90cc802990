/**
 * `npm run test:faults`: the long fault-injection suites (test/faults/*.fault-spec.ts), and the
 * suites that need the services as real processes (test/process/*.process-spec.ts), against the
 * built project on the local process stack (`npm run build:server` first). Same transform, module
 * mapper and global setup as the root config (so they run on DATABASE_URL's Postgres, or on the
 * embedded PostgreSQL it starts when unset); one suite at a time, since each one loads the machine.
 */
const root = require('../../jest.config.js');

/** @type {import('jest').Config} */
module.exports = {
  ...root,
  rootDir: '../..',
  testRegex: 'test/(faults/.*\\.fault-spec|process/.*\\.process-spec)\\.ts$',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: root.moduleNameMapper,
  testTimeout: 180_000,
  maxWorkers: 1,
};
