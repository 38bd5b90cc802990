import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764000000000 implements MigrationInterface {
  name = 'Init1764000000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username varchar(32) NOT NULL,
        email varchar(254),
        password_hash varchar(255) NOT NULL,
        roles text[] NOT NULL DEFAULT '{member}',
        banned_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Case-insensitive uniqueness; also serves the username-prefix search (text_pattern_ops).
    await q.query(`CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username) text_pattern_ops)`);

    await q.query(`
      CREATE TABLE login_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX login_sessions_user_id_idx ON login_sessions (user_id)`);

    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES login_sessions(id) ON DELETE CASCADE,
        token_hash char(64) NOT NULL,
        spent_at timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await q.query(`CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`);

    await q.query(`
      CREATE TABLE channels (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(80) NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('public', 'private', 'dm')),
        topic varchar(250) NOT NULL DEFAULT '',
        created_by uuid NOT NULL REFERENCES users(id),
        last_seq bigint NOT NULL DEFAULT 0,
        dm_key varchar(73),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX channels_public_name_key ON channels (lower(name) text_pattern_ops) WHERE kind = 'public'`,
    );
    await q.query(`CREATE UNIQUE INDEX channels_dm_key_key ON channels (dm_key) WHERE dm_key IS NOT NULL`);

    await q.query(`
      CREATE TABLE memberships (
        channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role varchar(16) NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'member')),
        last_read_seq bigint NOT NULL DEFAULT 0,
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (channel_id, user_id)
      )`);
    await q.query(`CREATE INDEX memberships_user_id_idx ON memberships (user_id)`);

    await q.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        seq bigint NOT NULL,
        author_id uuid NOT NULL REFERENCES users(id),
        body text NOT NULL,
        client_id varchar(64),
        created_at timestamptz NOT NULL DEFAULT now(),
        edited_at timestamptz,
        deleted_at timestamptz,
        search tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
      )`);
    await q.query(`CREATE UNIQUE INDEX messages_channel_seq_key ON messages (channel_id, seq)`);
    await q.query(
      `CREATE UNIQUE INDEX messages_author_client_id_key ON messages (author_id, client_id) WHERE client_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX messages_search_idx ON messages USING gin (search)`);

    await q.query(`
      CREATE TABLE files (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel_id uuid NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        uploaded_by uuid NOT NULL REFERENCES users(id),
        name varchar(255) NOT NULL,
        size bigint NOT NULL,
        content_type varchar(127) NOT NULL,
        object_key varchar(255) NOT NULL,
        thumb_key varchar(255),
        status varchar(16) NOT NULL DEFAULT 'ready' CHECK (status IN ('pending', 'ready')),
        message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX files_channel_id_idx ON files (channel_id)`);
    await q.query(`CREATE INDEX files_uploaded_by_idx ON files (uploaded_by)`);
    await q.query(`CREATE INDEX files_message_id_idx ON files (message_id)`);
    await q.query(`CREATE INDEX files_pending_created_idx ON files (status, created_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE files`);
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE memberships`);
    await q.query(`DROP TABLE channels`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE login_sessions`);
    await q.query(`DROP TABLE users`);
  }
}
