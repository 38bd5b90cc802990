import { mkdirSync } from 'node:fs';
import { hashPassword } from '../../apps/auth/src/accounts/passwords';
import { Init1764000000000 } from '../../libs/database/src/migrations/1764000000000-Init';

/**
 * Writes a PGlite data directory as the previous `npm start` left it: migrated (first migration
 * only, as an older version had it), with a team's history. PGlite cannot load inside a jest
 * worker (it imports modules dynamically), so the test runs this file with plain Node (ts-node):
 * `node -r ts-node/register/transpile-only test/local/pglite-fixture.ts <dir>`.
 */
interface Pglite {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

export const ALICE = '11111111-1111-4111-8111-111111111111';
export const BOB = '22222222-2222-4222-8222-222222222222';
export const GENERAL = '33333333-3333-4333-8333-333333333333';
export const DM = '44444444-4444-4444-8444-444444444444';
export const M2 = '55555555-5555-4555-8555-555555555552';
export const FILE = '66666666-6666-4666-8666-666666666666';
export const PASSWORD = 'password-123';

export async function writePgliteDataDir(dir: string): Promise<void> {
  const { PGlite } = (await import('@electric-sql/pglite')) as unknown as {
    PGlite: { create(dir: string): Promise<Pglite> };
  };
  mkdirSync(dir, { recursive: true });
  const db = await PGlite.create(dir);
  try {
    // TypeORM's migrations table, and the first migration run through a minimal query runner.
    await db.exec(
      `CREATE TABLE typeorm_migrations (id SERIAL PRIMARY KEY, "timestamp" bigint NOT NULL, name varchar NOT NULL)`,
    );
    await new Init1764000000000().up({
      query: (sql: string, params?: unknown[]) => db.query(sql, params),
    } as never);
    await db.query(
      `INSERT INTO typeorm_migrations ("timestamp", name) VALUES (1764000000000, 'Init1764000000000')`,
    );
    const hash = await hashPassword(PASSWORD);
    await db.query(
      `INSERT INTO users (id, username, password_hash, roles, created_at) VALUES
         ($1, 'alice_old', $3, '{member,admin}', '2026-01-02 03:04:05.123456+00'),
         ($2, 'bob_old', $3, '{member}', '2026-01-02 03:05:00+00')`,
      [ALICE, BOB, hash],
    );
    await db.query(
      `INSERT INTO channels (id, name, kind, topic, created_by, last_seq, dm_key) VALUES
         ($1, 'general_old', 'public', 'Kept across the upgrade', $3, 3, NULL),
         ($2, 'dm', 'dm', '', $3, 1, $4)`,
      [GENERAL, DM, ALICE, [ALICE, BOB].sort().join(':')],
    );
    await db.query(
      `INSERT INTO memberships (channel_id, user_id, role, last_read_seq) VALUES
         ($1, $3, 'owner', 3), ($1, $4, 'member', 1), ($2, $3, 'member', 1), ($2, $4, 'member', 0)`,
      [GENERAL, DM, ALICE, BOB],
    );
    await db.query(
      `INSERT INTO messages (id, channel_id, seq, author_id, body, client_id, created_at, edited_at) VALUES
         (gen_random_uuid(), $1, 1, $3, 'first message 🎉', 'c1', '2026-01-02 03:10:00.000001+00', NULL),
         ($5, $1, 2, $4, 'here is the plan', 'c2', '2026-01-02 03:11:00.5+00', '2026-01-02 03:12:00+00'),
         (gen_random_uuid(), $1, 3, $3, 'see you tomorrow', NULL, '2026-01-02 03:13:00+00', NULL),
         (gen_random_uuid(), $2, 1, $4, 'psst, just us', NULL, '2026-01-02 03:14:00+00', NULL)`,
      [GENERAL, DM, ALICE, BOB, M2],
    );
    await db.query(
      `INSERT INTO files (id, channel_id, uploaded_by, name, size, content_type, object_key, status, message_id)
       VALUES ($1, $2, $3, 'plan.pdf', 12345, 'application/pdf', 'files/plan', 'ready', $4)`,
      [FILE, GENERAL, BOB, M2],
    );
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  writePgliteDataDir(process.argv[2]).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
