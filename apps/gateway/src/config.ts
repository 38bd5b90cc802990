import {
  bool,
  commonEnv,
  duration,
  isClusterUrl,
  list,
  loadEnv,
  mailEnv,
  num,
  port,
  str,
  tokenVerifierEnv,
} from '@chat/platform';

/** Every setting of the gateway, validated at boot (see README "Configuration"). */
export function loadGatewayConfig(env: NodeJS.ProcessEnv = process.env) {
  const e = loadEnv(
    {
      ...commonEnv,
      ...tokenVerifierEnv,
      ...mailEnv,
      /**
       * Whether new messages notify anyone (the `notification` push, Web Push, digests). Off only
       * to measure what deciding costs (`npm run bench -- --scenarios=notify`) or to silence a
       * deployment during an incident; preferences and subscriptions are kept.
       */
      NOTIFICATIONS_ENABLED: bool({ default: true }),
      /**
       * How long a notification stays unread, with none of its user's sockets connected, before it
       * goes into a digest email (at most one per user per this window).
       */
      EMAIL_NOTIFY_AFTER: duration({ default: 10 * 60_000 }),
      /**
       * The VAPID key pair Web Push is signed with (base64url, as `web-push generate-vapid-keys`
       * prints). Both empty: Web Push is off (`GET /push/key` answers 404). The local mode
       * generates a pair once into its data directory.
       */
      VAPID_PUBLIC_KEY: str({ default: '' }),
      VAPID_PRIVATE_KEY: str({ default: '' }),
      /** The contact push services may use (RFC 8292 `sub`): a mailto: or https: URL. */
      VAPID_SUBJECT: str({ default: 'mailto:admin@localhost' }),
      /**
       * Hosts (names or addresses, comma-separated) outgoing webhooks may deliver to although they
       * are or resolve to loopback, private or link-local addresses. Empty: none, so no webhook can
       * reach into the cluster.
       */
      WEBHOOK_ALLOWED_HOSTS: list({ default: [] }),
      GATEWAY_PORT: port({ default: 3002, desc: 'HTTP and socket.io port of the gateway' }),
      /** Largest socket.io frame accepted; a 4,000-character message fits many times over. */
      SOCKET_MAX_PAYLOAD_BYTES: num({ default: 64 * 1024 }),
      /**
       * Commands a socket may have waiting while earlier ones run (they run one at a time, in the
       * order sent); beyond this the command is answered RATE_LIMITED at once, bounding memory.
       */
      SOCKET_MAX_PENDING_COMMANDS: num({ default: 256 }),
      /**
       * Sockets a broadcast writes per event-loop turn: a message to a larger room (a 10,000-member
       * channel) is written in slices, so it never stalls this replica's other sockets for long.
       */
      SOCKET_BROADCAST_SLICE: num({ default: 500 }),
      /** Commands per user per second over all their sockets and replicas, before RATE_LIMITED. */
      COMMAND_RATE_PER_SECOND: num({ default: 20 }),
      /** REST requests per user (or address) per minute. */
      HTTP_RATE_PER_MINUTE: num({ default: 600 }),
      /** Grace period for in-flight commands on SIGTERM before sockets are closed. */
      SHUTDOWN_GRACE_MS: num({ default: 5_000 }),
      /**
       * How long a socket's presence lease lives without a heartbeat (refreshed every third of it):
       * the users of a crashed replica go offline within this plus one sweep interval.
       */
      PRESENCE_LEASE_MS: num({ default: 30_000 }),
      /** How often each replica sweeps expired presence leases. */
      PRESENCE_SWEEP_MS: num({ default: 10_000 }),
      /**
       * How long a user whose last socket closed stays online, in case it comes back: a connection
       * blip, or a whole channel reconnecting at once, announces nothing.
       */
      PRESENCE_OFFLINE_GRACE_MS: num({ default: 2000 }),
      /**
       * How long a replica waits for a missing earlier message before publishing it from the
       * database itself (a replica that crashed between commit and publish leaves such a gap).
       */
      FANOUT_GAP_REPAIR_MS: num({ default: 1000 }),
      /**
       * The socket.io Redis adapter (docs/scaling.md "Sharded adapter"). `classic`: pub/sub, every
       * replica receives every broadcast. `sharded`: Redis 7 sharded pub/sub, a replica receives
       * only the broadcasts of rooms it has sockets in; the one to choose on a Redis Cluster.
       * Ignored without REDIS_URL.
       */
      SOCKET_ADAPTER: str({ choices: ['classic', 'sharded'] as const, default: 'classic' }),
    },
    env,
  );
  // A brace in the prefix would become the hash tag of every key and channel: on a Redis Cluster
  // all of them would share one slot, and the fan-out could no longer share the slot of its room.
  if (/[{}]/.test(e.REDIS_PREFIX) && (isClusterUrl(e.REDIS_URL) || e.SOCKET_ADAPTER === 'sharded')) {
    throw new Error(
      'Invalid configuration:\n  REDIS_PREFIX: must not contain { or } with a Redis Cluster or SOCKET_ADAPTER=sharded',
    );
  }
  return {
    nodeEnv: e.NODE_ENV,
    port: e.GATEWAY_PORT,
    log: { level: e.LOG_LEVEL, pretty: e.LOG_PRETTY },
    database: {
      url: e.DATABASE_URL,
      poolSize: e.DATABASE_POOL_SIZE,
      preparedStatements: e.DATABASE_PREPARED_STATEMENTS,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    corsOrigins: e.CORS_ORIGINS,
    trustedProxies: e.TRUSTED_PROXIES,
    jwt: {
      jwksUrl: e.AUTH_JWKS_URL,
      jwksRefreshSeconds: e.AUTH_JWKS_REFRESH_SECONDS,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    socket: {
      maxPayloadBytes: e.SOCKET_MAX_PAYLOAD_BYTES,
      maxPendingCommands: e.SOCKET_MAX_PENDING_COMMANDS,
      broadcastSlice: e.SOCKET_BROADCAST_SLICE,
      adapter: e.SOCKET_ADAPTER,
    },
    rateLimit: { commandsPerSecond: e.COMMAND_RATE_PER_SECOND, httpPerMinute: e.HTTP_RATE_PER_MINUTE },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    presence: {
      leaseMs: e.PRESENCE_LEASE_MS,
      sweepMs: e.PRESENCE_SWEEP_MS,
      offlineGraceMs: e.PRESENCE_OFFLINE_GRACE_MS,
    },
    fanout: { gapRepairMs: e.FANOUT_GAP_REPAIR_MS },
    publicUrl: e.PUBLIC_URL.replace(/\/+$/, ''),
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM },
    notifications: { enabled: e.NOTIFICATIONS_ENABLED, emailAfterMs: e.EMAIL_NOTIFY_AFTER },
    webhooks: { allowedHosts: e.WEBHOOK_ALLOWED_HOSTS.map((h) => h.toLowerCase()) },
    push: {
      vapidPublicKey: e.VAPID_PUBLIC_KEY,
      vapidPrivateKey: e.VAPID_PRIVATE_KEY,
      vapidSubject: e.VAPID_SUBJECT,
    },
  };
}

export type GatewayConfig = ReturnType<typeof loadGatewayConfig>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
