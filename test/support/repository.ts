import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createDataSource, Sql } from '@chat/database';

/**
 * Repository specs run their statements against the run's real, migrated Postgres (DATABASE_URL, a
 * database of the run's own) through the same Sql the apps use.
 */
export interface TestSql {
  sql: Sql;
  dataSource: DataSource;
  /** A user (not banned unless asked); its id. */
  user(opts?: { username?: string; banned?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function openSql(poolSize = 4): Promise<TestSql> {
  const dataSource = createDataSource({ url: process.env.DATABASE_URL!, poolSize });
  await dataSource.initialize();
  const sql = Sql.over(dataSource);
  return {
    sql,
    dataSource,
    async user(opts = {}) {
      const row = await sql.one<{ id: string }>(
        `INSERT INTO users (username, password_hash, banned_at) VALUES ($1, 'x', $2) RETURNING id`,
        [opts.username ?? `r_${randomBytes(6).toString('hex')}`, opts.banned ? new Date() : null],
      );
      return row!.id;
    },
    close: () => dataSource.destroy(),
  };
}

export const uniqueChannelName = () => `repo-${randomBytes(6).toString('hex')}`;
