import { randomBytes } from 'node:crypto';
import { Client, Pool } from 'pg';
// Relative, not @chat/database: jest's globalSetup runs outside its module mapper.
import { createDataSource } from '../../libs/database/src/data-source';

/** A fresh, migrated database on the same server as `baseUrl`; drop it with `dropDatabase`. */
export async function createMigratedDatabase(baseUrl: string, prefix = 'chat_test'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return url.toString();
}

export async function migrate(url: string): Promise<void> {
  const ds = createDataSource({ url, poolSize: 1 });
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A database of a suite's own, empty but migrated, on the run's Postgres server. */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const server = process.env.TEST_DATABASE_SERVER_URL;
  if (!server)
    throw new Error('TEST_DATABASE_SERVER_URL is not set: run the tests through jest (test/global-setup.ts)');
  const url = await createMigratedDatabase(server, 'chat_fresh');
  return { url, drop: () => dropDatabase(url) };
}

/**
 * A suite's own pool on a database it will drop. `pool.end()` resolves once its clients were told
 * to end, not once their backends are gone, so the drop's FORCE may terminate an idle one first;
 * that client's error then reaches the pool, which without a listener throws it as an unhandled
 * "terminating connection due to administrator command". Errors of idle clients are therefore
 * ignored: a query on a broken connection still fails, and fails its test.
 */
export function suitePool(url: string, max = 2): Pool {
  const pool = new Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}
