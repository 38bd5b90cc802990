import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres, startS3rver, type Stoppable } from '../scripts/lib/embedded';
import { createMigratedDatabase } from './support/database';
import { startOwnRedis } from './support/own-redis';

/** Handles the teardown needs; kept on globalThis because jest runs setup and teardown in one process. */
export interface TestGlobals {
  databaseUrl?: string;
  ownsDatabase: boolean;
  stoppers: Stoppable[];
}

/**
 * One isolated world per test run: a fresh database on the Postgres server at DATABASE_URL (or on
 * an embedded PostgreSQL started here when it is unset), Redis at REDIS_URL (or a private
 * redis-server started here), its own Redis key prefix, and an s3rver on a free loopback port.
 * Workers inherit the resulting environment, so every suite runs the same way either way.
 */
export default async function globalSetup(): Promise<void> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const globals: TestGlobals = { ownsDatabase: false, stoppers: [] };
  (globalThis as { __chatTest?: TestGlobals }).__chatTest = globals;

  try {
    let server = process.env.DATABASE_URL;
    if (!server) {
      // Thrown away after the run: no fsync.
      const pg = await startEmbeddedPostgres({ throwaway: true });
      globals.stoppers.push(pg);
      server = pg.url;
    } else {
      globals.ownsDatabase = true;
    }
    // The server itself, for suites that need a database of their own (e.g. "empty system").
    process.env.TEST_DATABASE_SERVER_URL = server;
    process.env.DATABASE_URL = await createMigratedDatabase(server);
    globals.databaseUrl = process.env.DATABASE_URL;

    if (!process.env.REDIS_URL) {
      const redis = await startOwnRedis().catch((err: Error) => {
        throw new Error(
          `${err.message}. npm test needs Redis: set REDIS_URL, or install Debian's redis-server ` +
            '(npm test does it itself when it runs as root with apt-get)',
        );
      });
      globals.stoppers.push({ url: redis.url, stop: () => redis.stop() });
      process.env.REDIS_URL = redis.url;
    }
    process.env.REDIS_PREFIX = `chat_test_${runId}`;

    const s3 = await startS3rver(mkdtempSync(join(tmpdir(), 'chat-s3-')));
    globals.stoppers.push(s3);
    process.env.S3_ENDPOINT = s3.url;
    process.env.S3_ACCESS_KEY_ID = s3.accessKeyId;
    process.env.S3_SECRET_ACCESS_KEY = s3.secretAccessKey;
    process.env.S3_BUCKET = `chat-test-${runId}`.toLowerCase();
  } catch (err) {
    for (const s of globals.stoppers.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }

  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
}
