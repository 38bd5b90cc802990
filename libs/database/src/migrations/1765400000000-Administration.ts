import type { MigrationInterface, QueryRunner } from 'typeorm';
import { withBriefLocks } from './brief-lock';
import { createIndexConcurrently, dropIndexConcurrently } from './concurrent-index';

/**
 * Administration and identity (issue #19): the audit log, sign-in settings, account deactivation,
 * OpenID Connect, TOTP two-factor, and channel archival.
 *
 * - `users`: `deactivated_at` (an erased account: it signs in no more, its messages stay as
 *   "deleted user"), `last_seen_at` (last sign-in or token refresh, for the admin console),
 *   `totp_secret`/`totp_enabled_at` (a secret set up but not yet enabled has no enabled time; `totp_last_step`, the
 *   time step of the last code accepted, so a code is never accepted twice),
 *   `oidc_issuer`/`oidc_subject` (the identity-provider account linked by its `sub`), and a null
 *   `password_hash` for accounts that only sign in through the provider. Catalog-only changes,
 *   under brief NOWAIT locks (`transaction = false`).
 * - `channels.archived_at`/`archived_by`: an archived channel is read-only.
 * - `audit_events`: append-only. Triggers refuse every UPDATE and TRUNCATE, and every DELETE of a
 *   row younger than a day, so only the retention sweep (AUDIT_RETENTION_DAYS, at least 1) removes
 *   rows.
 *   `position` orders the log (newest first) and is the page cursor's tie-breaker.
 * - `sign_in_settings`: one row, changed by admins (and audited).
 * - `totp_recovery_codes`: hashed one-time codes.
 * - `oidc_logins`: a login under way (state, nonce, PKCE verifier), shared by every auth replica;
 *   `login_handoffs`: the one-time code the callback hands the web client for its tokens.
 */
export class Administration1765400000000 implements MigrationInterface {
  name = 'Administration1765400000000';
  transaction = false as const;

  public async up(q: QueryRunner): Promise<void> {
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`
        ALTER TABLE users
          ADD COLUMN IF NOT EXISTS deactivated_at timestamptz,
          ADD COLUMN IF NOT EXISTS last_seen_at timestamptz,
          ADD COLUMN IF NOT EXISTS totp_secret varchar(64),
          ADD COLUMN IF NOT EXISTS totp_enabled_at timestamptz,
          ADD COLUMN IF NOT EXISTS totp_last_step bigint,
          ADD COLUMN IF NOT EXISTS oidc_issuer text,
          ADD COLUMN IF NOT EXISTS oidc_subject text,
          ALTER COLUMN password_hash DROP NOT NULL`);
    });
    await withBriefLocks(q, [{ table: 'channels', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`
        ALTER TABLE channels
          ADD COLUMN IF NOT EXISTS archived_at timestamptz,
          ADD COLUMN IF NOT EXISTS archived_by uuid`);
    });
    await createIndexConcurrently(
      q,
      'users_oidc_subject_key',
      `ON users (oidc_issuer, oidc_subject) WHERE oidc_subject IS NOT NULL`,
      { unique: true },
    );

    // The admin console's user list pages by lower(username), id: the unique index on
    // lower(username) uses text_pattern_ops (prefix search), which cannot serve that ORDER BY.
    await createIndexConcurrently(q, 'users_username_order_idx', `ON users (lower(username), id)`);

    // The staff's channel directory (by lower(name), id, never DMs) and webhooks overview (newest first).
    await createIndexConcurrently(
      q,
      'channels_directory_idx',
      `ON channels (lower(name), id) WHERE kind <> 'dm'`,
    );
    await createIndexConcurrently(q, 'webhooks_recent_idx', `ON webhooks (created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE IF NOT EXISTS audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        position bigserial NOT NULL,
        at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        actor_name varchar(64),
        action varchar(64) NOT NULL,
        target_type varchar(16),
        target_id text,
        target_name text,
        details jsonb NOT NULL DEFAULT '{}',
        request_id varchar(128),
        client_address varchar(64),
        CONSTRAINT audit_events_position_key UNIQUE (position)
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS audit_events_at_idx ON audit_events (at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS audit_events_action_idx ON audit_events (action, position)`);
    await q.query(`CREATE INDEX IF NOT EXISTS audit_events_actor_idx ON audit_events (actor_id, position)`);
    await q.query(`CREATE INDEX IF NOT EXISTS audit_events_target_idx ON audit_events (target_id, position)`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.at > now() - interval '1 day' THEN
          RAISE EXCEPTION 'audit_events rows younger than a day are kept' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
      END $$`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events`);
    await q.query(`
      CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
        FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);

    // TRUNCATE skips row triggers: a statement trigger refuses it too.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_events_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
        FOR EACH STATEMENT EXECUTE FUNCTION audit_events_no_truncate()`);

    await q.query(`
      CREATE TABLE IF NOT EXISTS sign_in_settings (
        id boolean PRIMARY KEY DEFAULT true CHECK (id),
        password_login boolean NOT NULL DEFAULT true,
        oidc_create_accounts boolean NOT NULL DEFAULT true,
        require_totp boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        updated_by uuid
      )`);
    await q.query(`INSERT INTO sign_in_settings (id) VALUES (true) ON CONFLICT DO NOTHING`);

    // Foreign keys to `users` take SHARE ROW EXCLUSIVE on it as they are created: briefly.
    await withBriefLocks(q, [{ table: 'users', mode: 'SHARE ROW EXCLUSIVE' }], async () => {
      await q.query(`
        CREATE TABLE IF NOT EXISTS totp_recovery_codes (
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          code_hash bytea NOT NULL,
          used_at timestamptz,
          PRIMARY KEY (user_id, code_hash)
        )`);
      await q.query(`
        CREATE TABLE IF NOT EXISTS login_handoffs (
          code_hash bytea PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          expires_at timestamptz NOT NULL
        )`);
    });
    await q.query(`
      CREATE TABLE IF NOT EXISTS oidc_logins (
        state varchar(128) PRIMARY KEY,
        nonce varchar(128) NOT NULL,
        code_verifier varchar(128) NOT NULL,
        return_to text,
        expires_at timestamptz NOT NULL
      )`);
    // Expired logins and hand-offs are deleted as new ones are written.
    await q.query(`CREATE INDEX IF NOT EXISTS oidc_logins_expires_idx ON oidc_logins (expires_at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS login_handoffs_expires_idx ON login_handoffs (expires_at)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS oidc_logins`);
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`DROP TABLE IF EXISTS login_handoffs`);
      await q.query(`DROP TABLE IF EXISTS totp_recovery_codes`);
    });
    await q.query(`DROP TABLE IF EXISTS sign_in_settings`);
    await q.query(`DROP TABLE IF EXISTS audit_events`);
    await q.query(`DROP FUNCTION IF EXISTS audit_events_append_only()`);
    await q.query(`DROP FUNCTION IF EXISTS audit_events_no_truncate()`);
    await dropIndexConcurrently(q, 'users_username_order_idx');
    await dropIndexConcurrently(q, 'channels_directory_idx');
    await dropIndexConcurrently(q, 'webhooks_recent_idx');
    await dropIndexConcurrently(q, 'users_oidc_subject_key');
    await withBriefLocks(q, [{ table: 'channels', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(
        `ALTER TABLE channels DROP COLUMN IF EXISTS archived_by, DROP COLUMN IF EXISTS archived_at`,
      );
    });
    // Accounts without a password (OIDC only) get an unusable one back: no hash verifies against it.
    await withBriefLocks(q, [{ table: 'users', mode: 'ACCESS EXCLUSIVE' }], async () => {
      await q.query(`UPDATE users SET password_hash = '!' WHERE password_hash IS NULL`);
      await q.query(`
        ALTER TABLE users
          ALTER COLUMN password_hash SET NOT NULL,
          DROP COLUMN IF EXISTS oidc_subject,
          DROP COLUMN IF EXISTS oidc_issuer,
          DROP COLUMN IF EXISTS totp_last_step,
          DROP COLUMN IF EXISTS totp_enabled_at,
          DROP COLUMN IF EXISTS totp_secret,
          DROP COLUMN IF EXISTS last_seen_at,
          DROP COLUMN IF EXISTS deactivated_at`);
    });
  }
}
