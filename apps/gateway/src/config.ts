import { commonEnv, loadEnv, num, port, tokenVerifierEnv } from '@chat/platform';

/** Every setting of the gateway, validated at boot (see README "Configuration"). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
      ...tokenVerifierEnv,
      GATEWAY_PORT: port({ default: 3002, desc: 'HTTP and socket.io port of the gateway' }),
      /** Largest socket.io frame accepted; a 4,000-character message fits many times over. */
      SOCKET_MAX_PAYLOAD_BYTES: num({ default: 64 * 1024 }),
      /** Commands per user per second over all their sockets and replicas, before RATE_LIMITED. */
      COMMAND_RATE_PER_SECOND: num({ default: 20 }),
      /** REST requests per user (or address) per minute. */
      HTTP_RATE_PER_MINUTE: num({ default: 600 }),
      /** Grace period for in-flight commands on SIGTERM before sockets are closed. */
      SHUTDOWN_GRACE_MS: num({ default: 10_000 }),
    },
    env,
  );
  return {
    nodeEnv: e.NODE_ENV,
    port: e.GATEWAY_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    database: { url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    corsOrigins: e.CORS_ORIGINS,
    jwt: { jwksUrl: e.AUTH_JWKS_URL, issuer: e.JWT_ISSUER, audience: e.JWT_AUDIENCE },
    socket: { maxPayloadBytes: e.SOCKET_MAX_PAYLOAD_BYTES },
    rateLimit: { commandsPerSecond: e.COMMAND_RATE_PER_SECOND, httpPerMinute: e.HTTP_RATE_PER_MINUTE },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
