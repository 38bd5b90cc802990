import { startEmbeddedPostgres } from '../../scripts/lib/embedded';

/** Starts the embedded PostgreSQL on argv[2], prints its pid, and dies as a crash would (SIGKILL). */
void startEmbeddedPostgres({ dataDir: process.argv[2] }).then((pg) => {
  process.stdout.write(`${pg.pid}\n`, () => process.kill(process.pid, 'SIGKILL'));
});
