import { createDataSource, revertLastMigration } from '@chat/database';

/**
 * Applies pending migrations and exits: the one-shot step of docker compose and the Kubernetes Job
 * (`node dist/scripts/migrate.js`). `--revert` undoes the last one.
 */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/chat';
  const ds = createDataSource({ url, poolSize: 1, logging: true });
  await ds.initialize();
  try {
    if (process.argv.includes('--revert')) await revertLastMigration(ds);
    else {
      const ran = await ds.runMigrations({ transaction: 'each' });
      console.log(`migrations applied: ${ran.length ? ran.map((m) => m.name).join(', ') : 'none pending'}`);
    }
  } finally {
    await ds.destroy();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
