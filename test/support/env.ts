/**
 * Test settings. The suite runs against real services: Postgres at DATABASE_URL (an embedded PGlite
 * when unset), Redis at REDIS_URL (suites that need it are skipped when unset, except under CI=true,
 * where a missing service fails the run), and an s3rver the global setup starts on loopback.
 */
export const isCI = process.env.CI === 'true';

export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

/** `describe` for suites that need Redis: runs when REDIS_URL is set; fails under CI when it is not. */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisUrl()) {
    describe(name, fn);
  } else if (isCI) {
    describe(name, () => {
      it('needs REDIS_URL under CI', () => {
        throw new Error('REDIS_URL is not set: CI must provide Redis');
      });
    });
  } else {
    describe.skip(`${name} (set REDIS_URL to run)`, fn);
  }
}

/**
 * Whether the run is on the embedded PGlite (DATABASE_URL unset): its connections share one
 * session, so a test cannot hold a transaction open on a connection of its own.
 */
export function onEmbeddedPostgres(): boolean {
  return process.env.TEST_EMBEDDED_POSTGRES === 'true';
}

/**
 * `describe` for suites that hold locks from connections of their own while the services work:
 * they need a Postgres server (CI always has one; the global setup refuses PGlite under CI).
 */
export function describeWithPostgresServer(name: string, fn: () => void): void {
  if (onEmbeddedPostgres()) describe.skip(`${name} (needs a Postgres server: set DATABASE_URL to run)`, fn);
  else describe(name, fn);
}

/** `it` for a test of concurrent transactions, which PGlite's one shared session cannot give. */
export function itWithPostgresServer(name: string, fn: () => Promise<void>): void {
  if (onEmbeddedPostgres()) it.skip(`${name} (needs a Postgres server: set DATABASE_URL to run)`, fn);
  else it(name, fn);
}
