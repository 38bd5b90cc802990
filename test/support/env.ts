/**
 * Test settings. The suite runs against real services: Postgres at DATABASE_URL (an embedded
 * PostgreSQL the global setup starts when unset), Redis at REDIS_URL (a private redis-server the
 * global setup starts when unset), and an s3rver the global setup starts on loopback.
 */
export const isCI = process.env.CI === 'true';

export function redisUrl(): string | undefined {
  return process.env.REDIS_URL || undefined;
}

/**
 * `describe` for suites that need Redis. The global setup always provides one (REDIS_URL, or a
 * redis-server of the run's own), so this never skips: without Redis it fails, saying why.
 */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisUrl()) {
    describe(name, fn);
  } else {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error('REDIS_URL is not set: the global setup (test/global-setup.ts) provides one');
      });
    });
  }
}
