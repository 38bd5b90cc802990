import { Client } from 'pg';
import { createDataSource } from '@chat/database';
import { freshDatabase } from '../../../test/support/database';

const TABLES = [
  'audit_events',
  'bot_tokens',
  'channels',
  'email_tokens',
  'files',
  'login_handoffs',
  'login_sessions',
  'memberships',
  'message_mentions',
  'message_reactions',
  'messages',
  'notifications',
  'oidc_logins',
  'push_outbox',
  'push_subscriptions',
  'refresh_tokens',
  'sign_in_settings',
  'thread_follows',
  'totp_recovery_codes',
  'users',
  'webhook_deliveries',
  'webhooks',
];

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const res = await c.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'typeorm_migrations' ORDER BY 1`,
    );
    return res.rows.map((r) => r.table_name);
  } finally {
    await c.end();
  }
}

describe('migrations', () => {
  it('apply on an empty database, revert completely, and apply again', async () => {
    const db = await freshDatabase();
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      expect(await tables(db.url)).toEqual(TABLES);
      const applied = ds.migrations.length;
      for (let i = 0; i < applied; i++) await ds.undoLastMigration({ transaction: 'each' });
      expect(await tables(db.url)).toEqual([]);
      const ran = await ds.runMigrations({ transaction: 'each' });
      expect(ran).toHaveLength(applied);
      expect(await tables(db.url)).toEqual(TABLES);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });

  it('keeps usernames unique case-insensitively and public channel names unique', async () => {
    const db = await freshDatabase();
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(`INSERT INTO users (username, password_hash) VALUES ('Alice', 'x')`);
      await expect(
        c.query(`INSERT INTO users (username, password_hash) VALUES ('alice', 'x')`),
      ).rejects.toThrow(/users_username_lower_key/);
      const {
        rows: [u],
      } = await c.query<{ id: string }>(`SELECT id FROM users`);
      await c.query(`INSERT INTO channels (name, kind, created_by) VALUES ('General', 'public', $1)`, [u.id]);
      await expect(
        c.query(`INSERT INTO channels (name, kind, created_by) VALUES ('general', 'public', $1)`, [u.id]),
      ).rejects.toThrow(/channels_public_name_key/);
      // Private channels may share a name.
      await c.query(`INSERT INTO channels (name, kind, created_by) VALUES ('general', 'private', $1)`, [
        u.id,
      ]);
      await c.query(`INSERT INTO channels (name, kind, created_by) VALUES ('general', 'private', $1)`, [
        u.id,
      ]);
    } finally {
      await c.end();
      await db.drop();
    }
  });
});
