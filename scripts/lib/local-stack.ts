import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createDataSource } from '@chat/database';
import { createAuthApp } from '../../apps/auth/src/bootstrap';
import { loadAuthConfig } from '../../apps/auth/src/config';
import { createGatewayApp } from '../../apps/gateway/src/bootstrap';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { createMediaApp } from '../../apps/media/src/bootstrap';
import { loadMediaConfig } from '../../apps/media/src/config';
import { s3rverUnlessConfigured, startEmbeddedPostgres, type Stoppable } from './embedded';
import { bindFrontDoor, startFrontDoor } from './front-door';
import { ListenError } from './listen-error';
import { importPgliteDataDir, isPgliteDataDir } from './pglite-import';
import { localVapidKeys } from './vapid-keys';

export interface LocalStackOptions {
  /** Front door port (0: any free port). */
  port: number;
  host?: string;
  /** Where embedded Postgres data, stored files and generated keys live. */
  dataDir: string;
  /** Settings; DATABASE_URL / REDIS_URL / S3_ENDPOINT switch a part to a real server. */
  env: NodeJS.ProcessEnv;
  /** Built web client to serve at `/`. */
  webRoot?: string;
  /** Ports of the services (0: any free port). */
  servicePorts?: { auth: number; gateway: number; media: number };
  log?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

async function listen(app: INestApplication, port: number, host: string, what: string): Promise<string> {
  await app.listen(port, host).catch(ListenError.wrap(host, port, what));
  const address = app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}

/**
 * The whole product with no external services: an embedded PostgreSQL (a child process on a
 * loopback port, data in DATA_DIR/postgres), s3rver on loopback, in-memory fan-out and events,
 * auth + media + gateway, and the front door. Each part switches to a real server when its URL is
 * set.
 */
export async function startLocalStack(opts: LocalStackOptions): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const stoppers: Stoppable[] = [];
  const apps: INestApplication[] = [];
  const env: NodeJS.ProcessEnv = { ...opts.env };
  const host = opts.host ?? '127.0.0.1';
  // First: a port in use fails the start at once, with nothing else started; and the public origin
  // is known before the services start (CORS, and the links in emails and notifications).
  const bound = await bindFrontDoor(opts.port, host);
  try {
    if (!env.DATABASE_URL) {
      const pgDir = join(opts.dataDir, 'postgres');
      // Data written by the earlier PGlite default moves into PostgreSQL once, on the first start.
      if (isPgliteDataDir(pgDir)) await importPgliteDataDir(pgDir, log);
      const pg = await startEmbeddedPostgres({ dataDir: pgDir, log });
      stoppers.push(pg);
      env.DATABASE_URL = pg.url;
      log(`database: embedded PostgreSQL (127.0.0.1:${pg.port}, pid ${pg.pid}) in ${pgDir}`);
    }
    const ds = createDataSource({ url: env.DATABASE_URL, poolSize: 1 });
    await ds.initialize();
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      if (ran.length) log(`migrations applied: ${ran.map((m) => m.name).join(', ')}`);
    } finally {
      await ds.destroy();
    }

    const s3 = await s3rverUnlessConfigured(env, join(opts.dataDir, 's3'));
    if (s3) {
      stoppers.push(s3);
      log(`object storage: s3rver (loopback only, no signature checks) in ${join(opts.dataDir, 's3')}`);
    }
    env.DATA_DIR ??= opts.dataDir;
    const ports = opts.servicePorts ?? { auth: 0, gateway: 0, media: 0 };

    const { port } = bound.address() as AddressInfo;
    const publicUrl = `http://localhost:${port}`;
    env.CORS_ORIGINS ??= `${publicUrl},http://127.0.0.1:${port}`;
    env.PUBLIC_URL ??= publicUrl;

    const auth = await createAuthApp(loadAuthConfig(env));
    apps.push(auth);
    const authUrl = await listen(auth, ports.auth, '127.0.0.1', 'auth');
    env.AUTH_JWKS_URL = `${authUrl}/auth/.well-known/jwks.json`;

    // After the database came up: a start that stops early leaves the data directory as it was.
    if (!env.VAPID_PUBLIC_KEY && !env.VAPID_PRIVATE_KEY)
      Object.assign(env, localVapidKeys(opts.dataDir, log));
    const media = await createMediaApp(loadMediaConfig(env));
    apps.push(media);
    const mediaUrl = await listen(media, ports.media, '127.0.0.1', 'media');
    const gateway = await createGatewayApp(loadGatewayConfig(env));
    apps.push(gateway);
    const gatewayUrl = await listen(gateway, ports.gateway, '127.0.0.1', 'gateway');

    const door = await startFrontDoor({
      port,
      host,
      bound,
      auth: authUrl,
      media: mediaUrl,
      gateways: [gatewayUrl],
      webRoot: opts.webRoot ? resolve(opts.webRoot) : undefined,
    });
    return {
      url: publicUrl,
      env,
      stop: async () => {
        await new Promise<void>((done) => {
          door.close(() => done());
          door.closeAllConnections();
        });
        for (const app of apps.reverse()) await app.close().catch(() => undefined);
        for (const s of stoppers.reverse()) await s.stop().catch(() => undefined);
      },
    };
  } catch (err) {
    bound.close();
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    for (const s of stoppers.reverse()) await s.stop().catch(() => undefined);
    throw err;
  }
}
