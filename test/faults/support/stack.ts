import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import type { Message } from '@chat/contracts';
import { startProcessStack, type ProcessStack } from '../../../scripts/lib/process-stack';
import { request, uniqueName } from '../../support/apps';
import { createMigratedDatabase, dropDatabase, suitePool } from '../../support/database';
import { ChatClient } from './chat-client';
import {
  distDir,
  postgresServerUrl,
  startOwnRedis,
  startTcpProxy,
  viaProxy,
  type OwnRedis,
  type TcpProxy,
} from './servers';

export interface FaultStackOptions {
  gateways?: number;
  /** Extra environment for every service (overrides the defaults below). */
  env?: Record<string, string>;
  /** Put a TCP proxy the test can cut between the services and Postgres. */
  postgresProxy?: boolean;
  /** Object store; default: the run's shared s3rver (global setup). */
  s3?: { endpoint: string; bucket: string };
}

export interface FaultStack {
  stack: ProcessStack;
  /** Front door origin. */
  url: string;
  /** The database, directly (never through the proxy): the test's view of what was persisted. */
  db: Pool;
  redis: OwnRedis;
  proxy?: TcpProxy;
  prefix: string;
  stop(): Promise<void>;
}

/**
 * The production topology as processes (scripts/lib/process-stack.ts: auth, media, N gateways,
 * the front door) on a database of its own, a Redis of its own and, when asked, a Postgres proxy
 * the test can cut. Rate limits are raised out of the load's way unless a test sets them.
 */
export async function startFaultStack(opts: FaultStackOptions = {}): Promise<FaultStack> {
  const dist = distDir();
  const databaseUrl = await createMigratedDatabase(postgresServerUrl(), 'chat_faults');
  const redis = await startOwnRedis();
  const target = new URL(databaseUrl);
  const proxy = opts.postgresProxy
    ? await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
    : undefined;
  const prefix = `chat_faults_${randomBytes(4).toString('hex')}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LOG_LEVEL: process.env.FAULTS_LOG_LEVEL ?? 'warn',
    DATABASE_URL: proxy ? viaProxy(databaseUrl, proxy) : databaseUrl,
    REDIS_URL: redis.url,
    REDIS_PREFIX: prefix,
    S3_ENDPOINT: opts.s3?.endpoint ?? process.env.S3_ENDPOINT!,
    S3_BUCKET: opts.s3?.bucket ?? process.env.S3_BUCKET!,
    S3_ACCESS_KEY_ID: process.env.S3_ACCESS_KEY_ID ?? 'S3RVER',
    S3_SECRET_ACCESS_KEY: process.env.S3_SECRET_ACCESS_KEY ?? 'S3RVER',
    S3_CREATE_BUCKET: 'true',
    COMMAND_RATE_PER_SECOND: '100000',
    HTTP_RATE_PER_MINUTE: '1000000',
    REGISTER_MAX_PER_IP_PER_HOUR: '1000000',
    LOGIN_MAX_FAILURES_PER_IP: '1000000',
    ...opts.env,
  };
  let stack: ProcessStack;
  try {
    stack = await startProcessStack({
      gateways: opts.gateways ?? 3,
      port: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'chat-faults-')),
      env,
      distDir: dist,
      inheritOutput: process.env.FAULTS_VERBOSE === '1',
    });
  } catch (err) {
    await redis.stop();
    await proxy?.close();
    await dropDatabase(databaseUrl).catch(() => undefined);
    throw err;
  }
  const db = suitePool(databaseUrl, 3);
  return {
    stack,
    url: stack.url,
    db,
    redis,
    proxy,
    prefix,
    stop: async () => {
      await stack.stop().catch(() => undefined);
      await db.end().catch(() => undefined);
      await redis.stop();
      await proxy?.close();
      await dropDatabase(databaseUrl).catch(() => undefined);
    },
  };
}

export interface User {
  id: string;
  username: string;
  token: string;
}

export async function register(url: string, prefix = 'f'): Promise<User> {
  const res = await request(url, 'POST', '/auth/register', {
    body: { username: uniqueName(prefix), password: 'password-123' },
  });
  if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username: res.body.user.username, token: res.body.accessToken };
}

/** A private channel owned by `owner` with `members`; its id. */
export async function privateChannel(url: string, owner: User, members: { id: string }[]): Promise<string> {
  const res = await request(url, 'POST', '/channels', {
    token: owner.token,
    body: { name: uniqueName('ch'), kind: 'private' },
  });
  if (res.status !== 201) throw new Error(`create channel: ${res.status} ${JSON.stringify(res.body)}`);
  for (const m of members) {
    const added = await request(url, 'POST', `/channels/${res.body.id}/members`, {
      token: owner.token,
      body: { userId: m.id },
    });
    if (added.status !== 200) throw new Error(`add member: ${added.status} ${JSON.stringify(added.body)}`);
  }
  return res.body.id as string;
}

export interface LoadGroup {
  channelId: string;
  clients: ChatClient[];
}

/**
 * `groups` channels of `perGroup` users each, every user a connected client of the front door
 * tracking its channel. Users are registered one group at a time (argon2 is CPU-heavy).
 */
export async function loadGroups(
  fs: FaultStack,
  groups: number,
  perGroup: number,
  commandTimeoutMs?: number,
): Promise<LoadGroup[]> {
  const out: LoadGroup[] = [];
  for (let g = 0; g < groups; g++) {
    const users: User[] = [];
    for (let i = 0; i < perGroup; i++) users.push(await register(fs.url, `g${g}`));
    const channelId = await privateChannel(fs.url, users[0], users.slice(1));
    const clients = users.map(
      (u, i) =>
        new ChatClient({ url: fs.url, token: u.token, userId: u.id, name: `g${g}u${i}`, commandTimeoutMs }),
    );
    for (const c of clients) {
      c.track(channelId);
      await c.connect();
    }
    out.push({ channelId, clients });
  }
  return out;
}

export interface Row {
  id: string;
  seq: number;
  client_id: string | null;
  author_id: string;
  body: string;
}

/** A channel's persisted messages, ascending by seq. */
export async function persisted(db: Pool, channelId: string): Promise<Row[]> {
  const { rows } = await db.query<Row>(
    `SELECT id, seq::int AS seq, client_id, author_id, body FROM messages WHERE channel_id = $1 ORDER BY seq`,
    [channelId],
  );
  return rows;
}

/**
 * The checks every delivery scenario ends with, per channel: the seqs in the database are 1..n
 * without a gap; each clientId is stored exactly once; every acknowledged message is stored as
 * acknowledged; each client's timeline after catch-up is exactly the database's.
 */
export async function deliveryReport(fs: FaultStack, groups: LoadGroup[]) {
  let rows = 0;
  let seqGaps = 0;
  let duplicateClientIds = 0;
  let ackedMissing = 0;
  let ackedMismatch = 0;
  let timelineMismatches = 0;
  let liveDuplicates = 0;
  let liveOutOfOrder = 0;
  let conflicts = 0;
  let composed = 0;
  let acks = 0;
  const mismatchSamples: string[] = [];
  for (const g of groups) {
    const stored = await persisted(fs.db, g.channelId);
    rows += stored.length;
    stored.forEach((r, i) => {
      if (r.seq !== i + 1) seqGaps++;
    });
    const byClientId = new Map<string, Row[]>();
    for (const r of stored)
      if (r.client_id) byClientId.set(r.client_id, [...(byClientId.get(r.client_id) ?? []), r]);
    for (const list of byClientId.values()) if (list.length > 1) duplicateClientIds += list.length - 1;
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const c of g.clients) {
      composed += c.outbox.size;
      liveDuplicates += c.liveDuplicates;
      liveOutOfOrder += c.liveOutOfOrder;
      conflicts += c.conflicts;
      for (const a of c.attempts) {
        if (a.outcome !== 'acked') continue;
        acks++;
        const m = a.message as Message;
        const row = byId.get(m.id);
        if (!row) ackedMissing++;
        else if (row.seq !== m.seq || row.client_id !== a.clientId || row.author_id !== c.userId)
          ackedMismatch++;
      }
      const mine = c.timeline(g.channelId).map((e) => `${e.seq}:${e.id}`);
      const expected = stored.map((r) => `${r.seq}:${r.id}`);
      if (mine.join(',') !== expected.join(',')) {
        timelineMismatches++;
        if (mismatchSamples.length < 3) {
          const missing = expected.filter((x) => !mine.includes(x)).slice(0, 5);
          const extra = mine.filter((x) => !expected.includes(x)).slice(0, 5);
          mismatchSamples.push(
            `${c.name}: has ${mine.length}/${expected.length}, missing ${missing.join(' ')}, extra ${extra.join(' ')}`,
          );
        }
      }
    }
  }
  const outboxWithoutRow: string[] = [];
  for (const g of groups) {
    const stored = new Set((await persisted(fs.db, g.channelId)).map((r) => r.client_id));
    for (const c of g.clients)
      for (const o of c.outbox.values()) if (!stored.has(o.clientId)) outboxWithoutRow.push(o.clientId);
  }
  return {
    rows,
    composed,
    acks,
    seqGaps,
    duplicateClientIds,
    ackedMissing,
    ackedMismatch,
    outboxWithoutRow: outboxWithoutRow.length,
    timelineMismatches,
    mismatchSamples,
    liveDuplicates,
    liveOutOfOrder,
    conflicts,
  };
}

/** GET a service's /readyz; the status code (0 when it does not answer). */
export async function readyz(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

export type DeliveryReport = Awaited<ReturnType<typeof deliveryReport>>;

/**
 * The delivery promises of docs/reliability.md as assertions: every ack names its stored row,
 * seq gap-free, one row per clientId, every timeline equal to the database after catch-up, live
 * pushes in order. Live duplicates are allowed only where Redis restarts empty (its ordering gate
 * forgets what it published; clients de-duplicate by seq).
 */
export function expectNothingLost(
  report: DeliveryReport,
  opts: { liveDuplicatesAllowed?: boolean } = {},
): void {
  expect(report).toMatchObject({
    seqGaps: 0,
    duplicateClientIds: 0,
    ackedMissing: 0,
    ackedMismatch: 0,
    outboxWithoutRow: 0,
    timelineMismatches: 0,
    ...(opts.liveDuplicatesAllowed ? {} : { liveDuplicates: 0 }),
    liveOutOfOrder: 0,
    conflicts: 0,
  });
  expect(report.rows).toBe(report.composed);
}
