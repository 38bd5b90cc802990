import type { DataSource } from 'typeorm';
import { Init1764000000000 } from './1764000000000-Init';
import { MessagesRecencyIndex1764100000000 } from './1764100000000-MessagesRecencyIndex';
import { SessionCleanupIndexes1764200000000 } from './1764200000000-SessionCleanupIndexes';
import { ReactionsPins1765000000000 } from './1765000000000-ReactionsPins';
import { ThreadsMentions1765100000000 } from './1765100000000-ThreadsMentions';
import { Notifications1765200000000 } from './1765200000000-Notifications';
import { Integrations1765300000000 } from './1765300000000-Integrations';
import { Administration1765400000000 } from './1765400000000-Administration';
import { ErasureResume1765500000000 } from './1765500000000-ErasureResume';

/** Every migration, in order. Listed explicitly so bundled and compiled builds find them alike. */
export const MIGRATIONS = [
  Init1764000000000,
  MessagesRecencyIndex1764100000000,
  SessionCleanupIndexes1764200000000,
  ReactionsPins1765000000000,
  ThreadsMentions1765100000000,
  Notifications1765200000000,
  Integrations1765300000000,
  Administration1765400000000,
  ErasureResume1765500000000,
];

/**
 * Reverts the last applied migration in its own transaction, or outside any for a migration that
 * declares `transaction = false` (its down() uses DROP INDEX CONCURRENTLY, which a transaction
 * forbids). TypeORM's undoLastMigration ignores that flag, so the mode is chosen here.
 */
export async function revertLastMigration(ds: DataSource): Promise<void> {
  const rows: { name: string }[] = await ds.query(
    `SELECT name FROM typeorm_migrations ORDER BY timestamp DESC, id DESC LIMIT 1`,
  );
  const last = ds.migrations.find((m) => m.name === rows[0]?.name);
  const outside = (last as { transaction?: boolean } | undefined)?.transaction === false;
  await ds.undoLastMigration({ transaction: outside ? 'none' : 'each' });
}
