import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  EMBEDDED_POSTGRES_ENV,
  startEmbeddedPostgres,
  startS3rver,
  type Stoppable,
} from '../scripts/lib/embedded';
import { createMigratedDatabase, migrate } from './support/database';

/** Handles the teardown needs; kept on globalThis because jest runs setup and teardown in one process. */
export interface TestGlobals {
  databaseUrl?: string;
  ownsDatabase: boolean;
  stoppers: Stoppable[];
}

/**
 * One isolated world per test run: a fresh database (or an embedded PGlite), its own Redis key
 * prefix, and an s3rver on a free loopback port. Workers inherit the resulting environment.
 */
/** Empty databases available to "fresh system" tests when running on embedded PGlite. */
const SPARE_EMBEDDED_DATABASES = 8;

export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const globals: TestGlobals = { ownsDatabase: false, stoppers: [] };
  (globalThis as { __chatTest?: TestGlobals }).__chatTest = globals;

  if (process.env.DATABASE_URL) {
    // The server itself, for suites that need a database of their own (e.g. "empty system").
    process.env.TEST_DATABASE_SERVER_URL = process.env.DATABASE_URL;
    process.env.DATABASE_URL = await createMigratedDatabase(process.env.DATABASE_URL);
    globals.databaseUrl = process.env.DATABASE_URL;
    globals.ownsDatabase = true;
  } else if (process.env.CI === 'true') {
    throw new Error('DATABASE_URL is not set: CI must run the tests against real Postgres');
  } else {
    const pg = await startEmbeddedPostgres();
    globals.stoppers.push(pg);
    await migrate(pg.url);
    process.env.DATABASE_URL = pg.url;
    Object.assign(process.env, EMBEDDED_POSTGRES_ENV, { TEST_EMBEDDED_POSTGRES: 'true' });
    // PGlite cannot be started inside a jest worker, nor serve a second database: suites that need
    // an empty database of their own claim one of these spares (see freshDatabase()).
    const spares: string[] = [];
    for (let i = 0; i < SPARE_EMBEDDED_DATABASES; i++) {
      const spare = await startEmbeddedPostgres();
      globals.stoppers.push(spare);
      await migrate(spare.url);
      spares.push(spare.url);
    }
    process.env.TEST_SPARE_DATABASES = spares.join(',');
    process.env.TEST_SPARE_CLAIMS_DIR = mkdtempSync(join(tmpdir(), 'chat-spares-'));
  }

  process.env.REDIS_PREFIX = `chat_test_${runId}`;

  const s3 = await startS3rver(mkdtempSync(join(tmpdir(), 'chat-s3-')));
  globals.stoppers.push(s3);
  process.env.S3_ENDPOINT = s3.url;
  process.env.S3_ACCESS_KEY_ID = s3.accessKeyId;
  process.env.S3_SECRET_ACCESS_KEY = s3.secretAccessKey;
  process.env.S3_BUCKET = `chat-test-${runId}`.toLowerCase();

  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
}
