import { bool, cleanEnv, makeValidator, num, port, str, url, type CleanedEnv } from 'envalid';

/** A comma-separated list. */
export const list = makeValidator<string[]>((input) =>
  String(input)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

/** A postgres:// URL. */
export const postgresUrl = makeValidator<string>((input) => {
  const value = String(input);
  if (!/^postgres(ql)?:\/\//.test(value)) throw new Error('must be a postgres:// URL');
  return value;
});

/** A redis:// URL, or empty for the in-process single-replica mode. */
export const optionalRedisUrl = makeValidator<string>((input) => {
  const value = String(input ?? '');
  if (value && !/^rediss?:\/\//.test(value)) throw new Error('must be a redis:// URL or empty');
  return value;
});

/** Settings every service shares: where Postgres and Redis are, logging, CORS. */
export const commonEnv = {
  NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
  LOG_LEVEL: str({
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
  }),
  /** Pretty, human-readable logs instead of JSON lines (local mode). */
  LOG_PRETTY: bool({ default: false }),
  DATABASE_URL: postgresUrl({ default: 'postgres://postgres@127.0.0.1:5432/chat' }),
  DATABASE_POOL_SIZE: num({ default: 10 }),
  /** Empty: single process, in-memory fan-out and events. Set it to run several replicas. */
  REDIS_URL: optionalRedisUrl({ default: '' }),
  /** Prefix for every Redis key and channel, so several deployments can share one Redis. */
  REDIS_PREFIX: str({ default: 'chat' }),
  /** Browser origins allowed to call the APIs and open sockets. */
  CORS_ORIGINS: list({ default: ['http://localhost:8080', 'http://127.0.0.1:8080'] }),
};

/** Settings of the services that verify access tokens (gateway, media). */
export const tokenVerifierEnv = {
  AUTH_JWKS_URL: url({ default: 'http://127.0.0.1:3001/auth/.well-known/jwks.json' }),
  JWT_ISSUER: str({ default: 'chat-auth' }),
  JWT_AUDIENCE: str({ default: 'chat' }),
};

export { bool, num, port, str, url };

/**
 * Validates `env` against `spec`; on failure throws one error naming every bad variable (envalid
 * would otherwise call process.exit from inside a library).
 */
export function loadEnv<S extends Parameters<typeof cleanEnv>[1]>(
  spec: S,
  env: NodeJS.ProcessEnv,
): CleanedEnv<S> {
  return cleanEnv(env, spec, {
    reporter: ({ errors }) => {
      const bad = Object.entries(errors);
      if (bad.length === 0) return;
      const lines = bad.map(([name, err]) => `  ${name}: ${(err as Error).message}`);
      throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
    },
  });
}
