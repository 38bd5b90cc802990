import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';
import type { Client } from 'pg';
import type { ClientSpec, SendResult, StatsResult } from '../generator';
import type { GeneratorPool } from './generators';
import { Histogram, type Summary } from './histogram';
import { probe, serverMemory, type ProbeReport, type ServerGc } from './monitor';
import { CpuSampler, type ProcessGroup } from './proc';
import type { Actor, Population } from './setup';
import type { System } from './systems';

export interface Config {
  mode: 'default' | 'quick';
  generators: number;
  fanoutClients: number;
  fanoutSenders: number;
  rates: number[];
  warmMs: number;
  stepMs: number;
  roomClients: number;
  roomSize: number;
  roomMs: number;
  memorySteps: number[];
  hotSenders: number;
  hotWindow: number;
  hotMs: number;
  seedMessages: number;
  /** Sockets (one user each) in the one big channel of the `big` scenario (--big-clients). */
  bigClients: number;
  /** The big channel's measured window (2 broadcasts a second). */
  bigMs: number;
  historyRequests: number;
  searchRequests: number;
  /** Unmeasured history and search requests of each kind before the measured ones. */
  warmRequests: number;
  httpMaxMs: number;
  bodyBytes: number;
  connectConcurrency: number;
  /** A fan-out step whose p99 exceeds this ends the ramp: the system is saturated. */
  stopAboveMs: number;
  /** Extra fan-out steps, each halving the interval around the highest rate with p99 < 100 ms. */
  refineSteps: number;
  /** Quiet time that counts as settled after connecting (no presence event for this long). */
  settleMs: number;
  /** The whole run is aborted (everything stopped, partial results written) after this. */
  budgetMs: number;
}

export interface Ctx {
  cfg: Config;
  pool: GeneratorPool;
  /** For INFO stats around measured windows (the server is shared: other users' load shows too). */
  redis: Redis;
  /** Redis, Postgres, generators, orchestrator: added to each system's own processes. */
  sharedGroups: ProcessGroup[];
  probeDir: string;
  db: Client | null;
  log: (line: string) => void;
}

const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface Placement {
  gen: number;
  socket: number;
  /** Index of the server (gateway / baseline process) the client is connected to. */
  server: number;
}

export interface ConnectResult {
  clients: number;
  connected: number;
  failed: number;
  errors: Record<string, number>;
  seconds: number;
  /** Presence events the clients received while connecting and settling (project only). */
  presenceEvents: number;
}

export function groups(ctx: Ctx, sys: System): ProcessGroup[] {
  return [
    { name: 'servers', pids: () => sys.servers.map((s) => s.pid) },
    ...(sys.otherPids.length ? [{ name: 'auth+media', pids: () => sys.otherPids }] : []),
    ...ctx.sharedGroups,
  ];
}

function auth(sys: System, actor: Actor, channelId: string): Record<string, unknown> {
  return sys.kind === 'project'
    ? { token: actor.token }
    : { user: actor.name, rooms: [`channel:${channelId}`] };
}

/** How many users a project client follows (`presence:subscribe`): about what a member list shows. */
const FOLLOWED_USERS = 20;

/**
 * Connects `actors` (actor i to server i % servers, through generator ⌊i / servers⌋ % generators,
 * so every generator talks to every server) and waits until presence traffic has settled. Each
 * project client follows the presence of the next FOLLOWED_USERS actors of its channel.
 */
export async function connectActors(
  ctx: Ctx,
  sys: System,
  /** `server`: the gateway (index into sys.urls) to connect to; default actor i to i % servers. */
  actors: { actor: Actor; channelId: string; server?: number }[],
): Promise<{ placements: Placement[]; result: ConnectResult }> {
  const W = ctx.pool.size;
  const G = sys.urls.length;
  const perGen: ClientSpec[][] = Array.from({ length: W }, () => []);
  const local: { gen: number; index: number }[] = [];
  const byChannel = new Map<string, string[]>();
  const position = actors.map(({ actor, channelId }) => {
    const ids = byChannel.get(channelId) ?? [];
    byChannel.set(channelId, ids);
    return ids.push(actor.id) - 1;
  });
  const followed = (channelId: string, at: number): string[] | undefined => {
    if (sys.kind !== 'project') return undefined;
    const ids = byChannel.get(channelId) ?? [];
    const n = Math.min(FOLLOWED_USERS, ids.length - 1);
    // A user with several connections (the capacity scenario) is listed once and not by itself.
    const own = ids[at];
    return [...new Set(Array.from({ length: n }, (_, k) => ids[(at + 1 + k) % ids.length]))].filter(
      (id) => id !== own,
    );
  };
  const serverOf = actors.map((a, i) => a.server ?? i % G);
  actors.forEach(({ actor, channelId, server }, i) => {
    const gen = server === undefined ? Math.floor(i / G) % W : i % W;
    local.push({ gen, index: perGen[gen].length });
    perGen[gen].push({
      url: sys.urls[serverOf[i]],
      auth: auth(sys, actor, channelId),
      follow: followed(channelId, position[i]),
    });
  });
  const t0 = performance.now();
  const replies = await ctx.pool.all<{
    base: number;
    connected: number;
    failed: number;
    errors: Record<string, number>;
  }>(
    (g) => ({ cmd: 'connect', specs: perGen[g], concurrency: ctx.cfg.connectConcurrency, timeoutMs: 30_000 }),
    600_000,
  );
  const seconds = (performance.now() - t0) / 1000;
  if (actors.length && replies.every((r) => r.connected === 0)) {
    const why = replies.flatMap((r) => Object.entries(r.errors)).slice(0, 3);
    throw new Error(`${sys.name}: no client could connect (${JSON.stringify(why)})`);
  }
  const presenceEvents = await settle(ctx, ctx.cfg.settleMs);
  const errors: Record<string, number> = {};
  for (const r of replies) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  return {
    placements: local.map(({ gen, index }, i) => ({
      gen,
      socket: replies[gen].base + index,
      server: serverOf[i],
    })),
    result: {
      clients: actors.length,
      connected: replies.reduce((a, r) => a + r.connected, 0),
      failed: replies.reduce((a, r) => a + r.failed, 0),
      errors,
      seconds,
      presenceEvents,
    },
  };
}

export async function disconnectAll(ctx: Ctx): Promise<void> {
  await ctx.pool.all(() => ({ cmd: 'disconnect' }), 60_000);
  // Let the servers finish their disconnect work (presence, typing) before the next phase.
  await sleep(ctx.cfg.settleMs + 300);
}

async function stats(ctx: Ctx, tags: string[]): Promise<StatsResult[]> {
  return ctx.pool.all<StatsResult>(() => ({ cmd: 'stats', tags }), 60_000);
}

/** Waits until the clients stop receiving presence events (`quietMs` without one; at most 60 s). */
async function settle(ctx: Ctx, quietMs: number): Promise<number> {
  let last = -1;
  let stableSince = performance.now();
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    const total = (await stats(ctx, [])).reduce((a, s) => a + s.presence, 0);
    if (total !== last) {
      last = total;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > quietMs) break;
    await sleep(200);
  }
  return last;
}

export interface MemoryPoint {
  connections: number;
  rssBytes: number;
  heapUsedBytes: number;
  perServer: { pid: number; rssBytes: number | null; heapUsedBytes: number | null }[];
}

export async function memoryPoint(
  ctx: Ctx,
  sys: System,
  connections: number,
  snapshotDir?: string,
): Promise<MemoryPoint> {
  await sleep(ctx.cfg.settleMs);
  const per = await serverMemory(ctx.probeDir, sys.servers);
  if (snapshotDir) {
    // After the figures: a snapshot takes seconds and would disturb them.
    mkdirSync(snapshotDir, { recursive: true });
    for (const s of sys.servers) {
      await probe(ctx.probeDir, s.pid, 'snapshot');
      const from = join(ctx.probeDir, `${s.pid}.heapsnapshot`);
      if (existsSync(from))
        renameSync(from, join(snapshotDir, `${sys.name}-${s.pid}-${connections}.heapsnapshot`));
    }
  }
  return {
    connections,
    rssBytes: per.reduce((a, s) => a + (s.rssBytes ?? 0), 0),
    heapUsedBytes: per.reduce((a, s) => a + (s.heapUsedBytes ?? 0), 0),
    perServer: per,
  };
}

export interface WindowFigures {
  /** CPU cores used per process group during the measured window. */
  cpu: Record<string, number>;
  cpuPerProcess: Record<string, Record<number, number>>;
  /** Redis commands and output bytes per second during the window (whole server). */
  redis: { commandsPerSecond: number; outputBytesPerSecond: number } | null;
  /**
   * Event-loop delay and utilization of each server process during the window, and its garbage
   * collections (null when the probe did not report them).
   */
  serverLoops: {
    pid: number;
    delayP99Ms: number;
    delayMaxMs: number;
    utilization: number;
    gc: ServerGc | null;
  }[];
  generatorLoops: { delayP99Ms: number; utilization: number }[];
}

interface RedisStats {
  at: number;
  commands: number;
  outBytes: number;
}

async function redisStats(redis: Redis): Promise<RedisStats | null> {
  try {
    const info = await redis.info('stats');
    const field = (k: string) => Number(new RegExp(`${k}:(\\d+)`).exec(info)?.[1] ?? NaN);
    return {
      at: performance.now(),
      commands: field('total_commands_processed'),
      outBytes: field('total_net_output_bytes'),
    };
  } catch {
    return null;
  }
}

/** CPU, event-loop figures of the servers and of the generators between `from` and `to` (epoch ms). */
export async function measureWindow(ctx: Ctx, sys: System, from: number, to: number): Promise<WindowFigures> {
  const sampler = new CpuSampler(groups(ctx, sys));
  await sleep(from - epochNow());
  let redisBefore: RedisStats | null = null;
  await Promise.all([
    redisStats(ctx.redis).then((r) => (redisBefore = r)),
    sampler.begin(),
    ...sys.servers.map((s) => probe(ctx.probeDir, s.pid, 'stat')),
    ctx.pool.all(() => ({ cmd: 'resetLoop' }), 10_000),
  ]);
  await sleep(to - epochNow());
  const [cpu, loops, gens, redisAfter] = await Promise.all([
    sampler.end(),
    Promise.all(sys.servers.map((s) => probe(ctx.probeDir, s.pid, 'stat'))),
    stats(ctx, []),
    redisStats(ctx.redis),
  ]);
  const before = redisBefore as RedisStats | null;
  return {
    cpu: cpu.cores,
    cpuPerProcess: cpu.perProcess,
    redis:
      before && redisAfter
        ? {
            commandsPerSecond: (redisAfter.commands - before.commands) / ((redisAfter.at - before.at) / 1000),
            outputBytesPerSecond:
              (redisAfter.outBytes - before.outBytes) / ((redisAfter.at - before.at) / 1000),
          }
        : null,
    serverLoops: loops
      .filter((l): l is ProbeReport => l !== null)
      .map((l) => ({
        pid: l.pid,
        delayP99Ms: l.eventLoopDelayMs.p99,
        delayMaxMs: l.eventLoopDelayMs.max,
        utilization: l.eventLoopUtilization,
        gc: l.gc ?? null,
      })),
    generatorLoops: gens.map((g) => ({ delayP99Ms: g.loop.p99, utilization: g.loop.utilization })),
  };
}

export interface OpenLoopResult extends WindowFigures {
  rate: number;
  seconds: number;
  attempted: number;
  acked: number;
  errors: Record<string, number>;
  deliveries: number;
  expectedDeliveries: number;
  deliveryRatio: number;
  deliveredPerSecond: number;
  latency: Summary;
  ack: Summary;
  lateSends: number;
  maxSendLagMs: number;
}

let tagSeq = 0;

/**
 * A constant-rate schedule of `rate` messages per second over `senders` (each sending to its
 * channel), every message reaching `recipients` sockets. Measured after a warm-up; the clients'
 * receipts are then drained (until all arrived, or nothing more arrives for 2 s).
 */
export async function openLoop(
  ctx: Ctx,
  sys: System,
  senders: { at: Placement; channelId: string }[],
  rate: number,
  recipients: number,
  warmMs: number,
  durationMs: number,
): Promise<OpenLoopResult> {
  const tag = `t${++tagSeq}`;
  const startAt = epochNow() + 500;
  const window = measureWindow(ctx, sys, startAt + warmMs, startAt + warmMs + durationMs);
  const results = await ctx.pool.all<SendResult>(
    (g) => ({
      cmd: 'schedule',
      tag,
      senders: senders
        .map((s, slot) => ({ socket: s.at.socket, channelId: s.channelId, slot, gen: s.at.gen }))
        .filter((s) => s.gen === g)
        .map(({ socket, channelId, slot }) => ({ socket, channelId, slot })),
      slots: senders.length,
      rate,
      startAt,
      warmMs,
      durationMs,
      ackTimeoutMs: 10_000,
      bodyBytes: ctx.cfg.bodyBytes,
    }),
    warmMs + durationMs + 60_000,
  );
  const figures = await window;
  const attempted = results.reduce((a, r) => a + r.attempted + (r.warm?.attempted ?? 0), 0);
  const expected = attempted * recipients;
  let received: StatsResult[] = [];
  let last = -1;
  let stableSince = performance.now();
  const deadline = performance.now() + 10_000;
  for (;;) {
    received = await stats(ctx, [tag, `${tag}w`]);
    const total = received.reduce((a, s) => a + s.tags[tag].count + s.tags[`${tag}w`].count, 0);
    if (total >= expected || performance.now() > deadline) break;
    if (total !== last) {
      last = total;
      stableSince = performance.now();
    } else if (performance.now() - stableSince > 2000) break;
    await sleep(200);
  }
  const latency = new Histogram();
  const ack = new Histogram();
  let deliveries = 0;
  let measuredDeliveries = 0;
  for (const s of received) {
    latency.merge(s.tags[tag].latency);
    measuredDeliveries += s.tags[tag].count;
    deliveries += s.tags[tag].count + s.tags[`${tag}w`].count;
  }
  const errors: Record<string, number> = {};
  for (const r of results) {
    ack.merge(r.ack);
    for (const src of [r.errors, r.warm?.errors ?? {}])
      for (const [k, v] of Object.entries(src)) errors[k] = (errors[k] ?? 0) + v;
  }
  return {
    rate,
    seconds: durationMs / 1000,
    attempted,
    acked: results.reduce((a, r) => a + r.acked + (r.warm?.acked ?? 0), 0),
    errors,
    deliveries,
    expectedDeliveries: expected,
    deliveryRatio: expected ? deliveries / expected : NaN,
    deliveredPerSecond: measuredDeliveries / (durationMs / 1000),
    latency: latency.summary(),
    ack: ack.summary(),
    lateSends: results.reduce((a, r) => a + r.late, 0),
    maxSendLagMs: Math.max(...results.map((r) => r.maxLagMs)),
    ...figures,
  };
}

export interface ClosedLoopResult extends WindowFigures {
  senders: number;
  window: number;
  seconds: number;
  acked: number;
  errors: Record<string, number>;
  ackedPerSecond: number;
  ack: Summary;
}

/** Each sender keeps `window` sends in flight for `durationMs`: throughput as fast as acks allow. */
export async function closedLoop(
  ctx: Ctx,
  sys: System,
  senders: { at: Placement; channelId: string }[],
  window: number,
  durationMs: number,
): Promise<ClosedLoopResult> {
  const tag = `t${++tagSeq}`;
  const startAt = epochNow() + 500;
  const figures = measureWindow(ctx, sys, startAt, startAt + durationMs);
  const results = await ctx.pool.all<SendResult>(
    (g) => ({
      cmd: 'closedLoop',
      tag,
      senders: senders
        .filter((s) => s.at.gen === g)
        .map((s) => ({ socket: s.at.socket, channelId: s.channelId })),
      window,
      startAt,
      durationMs,
      ackTimeoutMs: 15_000,
      bodyBytes: ctx.cfg.bodyBytes,
    }),
    durationMs + 60_000,
  );
  const ack = new Histogram();
  const errors: Record<string, number> = {};
  for (const r of results) {
    ack.merge(r.ack);
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
  }
  const acked = results.reduce((a, r) => a + r.acked, 0);
  const elapsed = Math.max(durationMs, ...results.map((r) => r.elapsedMs ?? 0)) / 1000;
  return {
    senders: senders.length,
    window,
    seconds: elapsed,
    acked,
    errors,
    ackedPerSecond: acked / elapsed,
    ack: ack.summary(),
    ...(await figures),
  };
}

export interface HttpResult {
  requests: number;
  statuses: Record<string, number>;
  latency: Summary;
}

/** Sequential (concurrency 1) GETs from a generator process: service latency, not throughput. */
export async function httpLatency(ctx: Ctx, requests: { url: string; token: string }[]): Promise<HttpResult> {
  const r = await ctx.pool.call<{
    latency: Parameters<typeof Histogram.from>[0];
    statuses: Record<string, number>;
  }>(0, { cmd: 'http', requests, concurrency: 1, maxMs: ctx.cfg.httpMaxMs }, ctx.cfg.httpMaxMs + 30_000);
  return {
    requests: Object.values(r.statuses).reduce((a, b) => a + b, 0),
    statuses: r.statuses,
    latency: Histogram.from(r.latency).summary(),
  };
}

/** The highest rate whose p99 stayed under `limitMs` (with every message delivered, if `needAll`). */
export function sustainableRate(steps: OpenLoopResult[], limitMs: number, needAll: boolean): number {
  let best = 0;
  for (const s of steps) {
    const ok =
      s.latency.p99 < limitMs && (!needAll || (s.deliveryRatio >= 1 && Object.keys(s.errors).length === 0));
    if (ok) best = Math.max(best, s.rate);
  }
  return best;
}

/**
 * The `j`-th of several senders: the first client from `from` on (wrapping within [lo, hi)) on
 * server j % servers through generator ⌊j / servers⌋ % generators, so the senders spread evenly
 * over both; any client of the range if none matches.
 */
function pick(
  placements: Placement[],
  lo: number,
  hi: number,
  from: number,
  j: number,
  generators: number,
): Placement {
  const servers = Math.max(...placements.slice(lo, hi).map((p) => p.server)) + 1;
  const want = { server: j % servers, gen: Math.floor(j / servers) % generators };
  for (let k = 0; k < hi - lo; k++) {
    const p = placements[lo + ((from - lo + k) % (hi - lo))];
    if (p.server === want.server && p.gen === want.gen) return p;
  }
  return placements[from];
}

/** `count` senders in the fan-out channel (everybody is in it), spread over servers and generators. */
export function fanoutSenders(
  population: Population,
  placements: Placement[],
  count: number,
  generators: number,
): { at: Placement; channelId: string }[] {
  const n = placements.length;
  return Array.from({ length: Math.min(count, n) }, (_, j) => ({
    at: pick(placements, 0, n, Math.floor((j * n) / count), j, generators),
    channelId: population.channels.fanout,
  }));
}

/** One sender per room (room g holds clients g·roomSize …), spread over servers and generators. */
export function roomSenders(
  population: Population,
  placements: Placement[],
  roomSize: number,
  generators: number,
): { at: Placement; channelId: string }[] {
  return population.channels.rooms.map((channelId, g) => {
    const lo = g * roomSize;
    const hi = Math.min(placements.length, lo + roomSize);
    return { at: pick(placements, lo, hi, lo, g, generators), channelId };
  });
}
