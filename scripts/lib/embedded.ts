import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Stoppable {
  url: string;
  stop(): Promise<void>;
}

/**
 * What a service must be told to use the embedded PGlite: its connections share one session, so a
 * statement the gateway prepares on one would clash with the same statement on another.
 */
export const EMBEDDED_POSTGRES_ENV = { DATABASE_PREPARED_STATEMENTS: 'false' } as const;

/** PGlite (in-process Postgres) served on a loopback port, so the `pg` driver and SQL are the same. */
export async function startEmbeddedPostgres(dataDir?: string): Promise<Stoppable> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 32 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

export interface S3Server extends Stoppable {
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * s3rver: a real S3-protocol server on loopback. It does NOT verify request signatures, so it must
 * only ever listen on loopback, and no test here can show signature tampering being refused.
 */
export async function startS3rver(directory: string, bucket?: string): Promise<S3Server> {
  const { default: S3rver } = await import('s3rver');
  mkdirSync(directory, { recursive: true });
  const port = await freePort();
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: bucket ? [{ name: bucket }] : [],
  });
  await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    stop: () => server.close(),
  };
}
