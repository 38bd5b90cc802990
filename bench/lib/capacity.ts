/**
 * Scenarios on a project stack of their own (not the baseline comparison), for the capacity model
 * of docs/scaling.md: what each gateway replica spends, measured, so the model's per-replica cost
 * can be checked against it.
 *
 * - `capacity`: G gateways × C connections each (default 8 × 2,500) on one machine, a fixed message
 *   rate into rooms that span every gateway; per replica: CPU per connection while idle, memory per
 *   connection, CPU per delivery, and Redis CPU per published message.
 * - `adapters`: 4 gateways, each room's members all on one gateway (room c on gateway c mod G), so
 *   every replica holds sockets for only a quarter of the rooms. Messages first go only to the rooms
 *   of gateway 0: what the other replicas spend then is the cost of rooms they hold no socket for
 *   (the classic adapter delivers every broadcast to every replica; the sharded one, in dynamic
 *   mode, only to those subscribed to the room). Then messages to every room, for the totals.
 *
 * Both take the adapter (`SOCKET_ADAPTER` of the gateways, --adapter=classic|sharded|classic,sharded)
 * and record the one Redis shows in use (sharded pub/sub channels or plain ones), so a gateway that
 * does not know the requested adapter yet is caught rather than measured under the wrong name.
 */
import type Redis from 'ioredis';
import type { Client } from 'pg';
import type { ProcessStack } from './systems';
import { projectSystem, type System } from './systems';
import { serverMemory } from './monitor';
import {
  connectActors,
  disconnectAll,
  measureWindow,
  openLoop,
  type Ctx,
  type OpenLoopResult,
  type Placement,
} from './scenarios';
import { projectPopulation, type Population } from './setup';

export const ADAPTERS = ['classic', 'sharded'] as const;
export type Adapter = (typeof ADAPTERS)[number];

export interface StackScenarioOptions {
  /** null: capacity runs classic, adapters runs classic then sharded. */
  adapters: Adapter[] | null;
  /** null: the scenario's default (capacity 8, adapters 4). */
  gateways: number | null;
  /** Connections per gateway; null: the scenario's default. */
  connections: number | null;
  /** Distinct users; null: min(all connections, 2,000) (capacity), one per connection (adapters). */
  users: number | null;
  /** Messages per second (each to a room of `roomSize` users). */
  rate: number;
  roomSize: number;
  /** Idle CPU windows and the measured load window. */
  idleMs: number;
  warmMs: number;
  durationMs: number;
  quick: boolean;
}

export function stackScenarioDefaults(quick: boolean): StackScenarioOptions {
  return {
    adapters: null,
    gateways: null,
    connections: null,
    users: null,
    rate: quick ? 20 : 50,
    roomSize: 10,
    idleMs: quick ? 3000 : 10_000,
    warmMs: quick ? 1000 : 2000,
    durationMs: quick ? 3000 : 10_000,
    quick,
  };
}

export function adaptersFor(scenario: 'capacity' | 'adapters', o: StackScenarioOptions): Adapter[] {
  return o.adapters ?? (scenario === 'capacity' ? ['classic'] : ['classic', 'sharded']);
}

function shape(scenario: 'capacity' | 'adapters', o: StackScenarioOptions) {
  const gateways = o.gateways ?? (scenario === 'capacity' ? 8 : 4);
  const perGateway =
    o.connections ?? (scenario === 'capacity' ? (o.quick ? 200 : 2500) : o.quick ? 100 : 500);
  const connections = gateways * perGateway;
  const users =
    scenario === 'adapters' ? connections : Math.min(connections, o.users ?? Math.min(connections, 2000));
  return { gateways, perGateway, connections, users };
}

/** Open files the busiest process needs: a gateway holds its connections, a generator its share. */
export function stackFileNeed(o: StackScenarioOptions, generators: number): number {
  const c = shape('capacity', o);
  const a = shape('adapters', o);
  return Math.max(c.perGateway, a.perGateway, Math.ceil(Math.max(c.connections, a.connections) / generators));
}

export interface StackEnv {
  ctx: Ctx;
  admin: Client;
  /** A fresh project stack (pinned like the comparison's) with SOCKET_ADAPTER set. */
  startStack(gateways: number, adapter: Adapter): Promise<{ stack: ProcessStack; stop: () => Promise<void> }>;
  /** The stacks' REDIS_PREFIX (their adapter channels start with it). */
  redisPrefix: string;
  log: (line: string) => void;
  stopRequested: () => boolean;
}

/** Users in rooms of `roomSize`, registered once per run and shared by both scenarios and adapters. */
let cached: Population | null = null;

async function populationOf(
  env: StackEnv,
  sys: System,
  stack: ProcessStack,
  users: number,
  roomSize: number,
) {
  if (cached && cached.rooms.length >= users) return cached;
  const t0 = performance.now();
  env.log(`stack scenarios: registering ${users} users in rooms of ${roomSize}`);
  cached = await projectPopulation(
    stack.auth.url,
    sys.urls[0],
    { fanout: 0, rooms: users, roomSize, hot: 0 },
    `c${Date.now().toString(36).slice(-5)}`,
    (l) => env.log(l),
  );
  await env.admin.query('CHECKPOINT').catch(() => undefined);
  env.log(`stack scenarios: set-up done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return cached;
}

/**
 * One authenticated request to each gateway before the clients connect: a freshly started gateway
 * has no signing keys yet, and a burst of handshakes then exhausts its unknown-kid JWKS fetches and
 * some valid tokens are refused (libs/security key-resolver.ts). These scenarios measure steady
 * costs, not a cold start, so the keys are fetched first.
 */
async function warmGateways(sys: System, pop: Population): Promise<void> {
  const actor = pop.rooms[0];
  const channel = pop.channels.rooms[0];
  await Promise.all(
    sys.urls.map((u) =>
      fetch(`${u}/channels/${channel}/messages?limit=1`, {
        headers: { authorization: `Bearer ${actor.token}` },
      })
        .then((r) => r.arrayBuffer())
        .catch(() => undefined),
    ),
  );
}

/** Which adapter Redis shows the gateways using: their sharded pub/sub channels or plain ones. */
async function observeAdapter(redis: Redis, prefix: string) {
  const count = async (kind: 'SHARDCHANNELS' | 'CHANNELS') => {
    try {
      return ((await redis.call('PUBSUB', kind, `${prefix}*`)) as string[]).length;
    } catch {
      return null;
    }
  };
  const shardChannels = await count('SHARDCHANNELS');
  const channels = await count('CHANNELS');
  const observed = shardChannels ? 'sharded' : channels ? 'classic' : 'unknown';
  return { observed, shardChannels, channels };
}

const epochNow = (): number => performance.timeOrigin + performance.now();

/** CPU of every server process and of Redis and Postgres over `ms` with no load generated. */
async function idleWindow(ctx: Ctx, sys: System, ms: number) {
  const from = epochNow() + 100;
  const w = await measureWindow(ctx, sys, from, from + ms);
  return {
    perServer: sys.servers.map((s) => w.cpuPerProcess.servers?.[s.pid] ?? 0),
    redis: w.cpu.redis ?? 0,
    postgres: w.cpu.postgres ?? 0,
    seconds: ms / 1000,
  };
}

const per = (num: number, den: number): number | null => (den > 0 && Number.isFinite(num) ? num / den : null);
const KB = 1024;

function loadSummary(x: OpenLoopResult) {
  return {
    rate: x.rate,
    attempted: x.attempted,
    acked: x.acked,
    errors: x.errors,
    deliveryRatio: x.deliveryRatio,
    deliveredPerSecond: x.deliveredPerSecond,
    latency: x.latency,
    ack: x.ack,
    cpu: x.cpu,
    redis: x.redis,
    serverLoops: x.serverLoops,
    generatorLoops: x.generatorLoops,
  };
}

/** `capacity`: G gateways × C connections, a fixed rate, each replica's measured unit costs. */
export async function capacityScenario(env: StackEnv, o: StackScenarioOptions, adapter: Adapter) {
  const { ctx, log } = env;
  const { gateways: G, perGateway, connections, users: U } = shape('capacity', o);
  const S = o.roomSize;
  log(`capacity (${adapter}): ${G} gateways × ${perGateway} connections, ${U} users, ${o.rate} msg/s`);
  const { stack, stop } = await env.startStack(G, adapter);
  try {
    const sys = projectSystem(stack);
    const pop = await populationOf(env, sys, stack, U, S);
    await warmGateways(sys, pop);
    const idle0 = await idleWindow(ctx, sys, o.idleMs);
    const mem0 = await serverMemory(ctx.probeDir, sys.servers);
    // Connection i: user i mod U on gateway i mod G. With U a multiple of G each user's connections
    // (its devices) share a gateway, and every room of S consecutive users spans the gateways.
    const channelOf = (u: number) => pop.channels.rooms[Math.floor(u / S)];
    const specs = Array.from({ length: connections }, (_, i) => ({
      actor: pop.rooms[i % U],
      channelId: channelOf(i % U),
      server: i % G,
    }));
    log(`capacity (${adapter}): connecting ${connections}`);
    const conn = await connectActors(ctx, sys, specs);
    log(
      `capacity (${adapter}): ${conn.result.connected}/${connections} in ${conn.result.seconds.toFixed(1)} s`,
    );
    const adapterSeen = await observeAdapter(ctx.redis, env.redisPrefix);
    if (adapterSeen.observed !== adapter)
      log(`capacity: asked for the ${adapter} adapter, Redis shows ${adapterSeen.observed}`);
    const idleC = await idleWindow(ctx, sys, o.idleMs);
    const memC = await serverMemory(ctx.probeDir, sys.servers);
    const channels = Math.ceil(U / S);
    // One sender per room: the first connection of its first user.
    const senders = Array.from({ length: channels }, (_, c) => ({
      at: conn.placements[c * S],
      channelId: pop.channels.rooms[c],
    }));
    const connsOn = Array.from({ length: G }, (_, g) => specs.filter((s) => s.server === g).length);
    const sendersOn = Array.from({ length: G }, (_, g) => senders.filter((s) => s.at.server === g).length);
    log(`capacity (${adapter}): ${o.rate} msg/s over ${channels} rooms`);
    const load = await openLoop(ctx, sys, senders, o.rate, connections / channels, o.warmMs, o.durationMs);
    await disconnectAll(ctx);
    const perMessage = o.rate / channels;
    const replicas = sys.servers.map((s, g) => {
      const cpu = load.cpuPerProcess.servers?.[s.pid] ?? 0;
      // Every connection is in exactly one room: deliveries on g = its connections × each room's rate.
      const deliveries = connsOn[g] * perMessage * load.deliveryRatio;
      return {
        gateway: g + 1,
        pid: s.pid,
        connections: connsOn[g],
        sendsPerSecond: sendersOn[g] * perMessage,
        deliveriesPerSecond: deliveries,
        cpuCores: { idleAt0: idle0.perServer[g], idleConnected: idleC.perServer[g], load: cpu },
        memory: { at0: mem0[g], connected: memC[g] },
        /** CPU µs per second per idle connection (heartbeats, timers, presence leases). */
        idleCpuUsPerConnectionSecond: per((idleC.perServer[g] - idle0.perServer[g]) * 1e6, connsOn[g]),
        rssKbPerConnection: per(((memC[g].rssBytes ?? 0) - (mem0[g].rssBytes ?? 0)) / KB, connsOn[g]),
        heapKbPerConnection: per(
          ((memC[g].heapUsedBytes ?? 0) - (mem0[g].heapUsedBytes ?? 0)) / KB,
          connsOn[g],
        ),
        /** Load CPU above the connected idle, per delivery (sends' own work included, see sendsPerSecond). */
        cpuUsPerDelivery: per((cpu - idleC.perServer[g]) * 1e6, deliveries),
        cpuUsPerDeliveryGross: per(cpu * 1e6, deliveries),
      };
    });
    return {
      adapter,
      adapterSeen,
      gateways: G,
      connectionsPerGateway: perGateway,
      users: U,
      roomSize: S,
      rooms: channels,
      connectionsPerUser: connections / U,
      databasePoolSize: stack.env.DATABASE_POOL_SIZE ?? null,
      rate: o.rate,
      connect: conn.result,
      idle: { at0: idle0, connected: idleC },
      load: loadSummary(load),
      replicas,
      redis: {
        cpuCores: { idleAt0: idle0.redis, idleConnected: idleC.redis, load: load.cpu.redis ?? 0 },
        /** Redis CPU above the connected idle per message published (Redis is the machine's: others' load counts). */
        cpuUsPerPublishedMessage: per(((load.cpu.redis ?? 0) - idleC.redis) * 1e6, o.rate),
        commandsPerSecond: load.redis?.commandsPerSecond ?? null,
      },
      postgres: { cpuUsPerMessage: per(((load.cpu.postgres ?? 0) - idleC.postgres) * 1e6, o.rate) },
    };
  } finally {
    await disconnectAll(ctx).catch(() => undefined);
    await stop().catch((err: Error) => log(`capacity stack stop: ${err.message}`));
  }
}

/** `adapters`: what each replica spends on rooms it holds no socket for, per adapter. */
export async function adaptersScenario(env: StackEnv, o: StackScenarioOptions, adapter: Adapter) {
  const { ctx, log } = env;
  const { gateways: G, perGateway, connections } = shape('adapters', o);
  const S = o.roomSize;
  log(`adapters (${adapter}): ${G} gateways × ${perGateway} connections, each room on one gateway`);
  const { stack, stop } = await env.startStack(G, adapter);
  try {
    const sys = projectSystem(stack);
    const pop = await populationOf(env, sys, stack, connections, S);
    await warmGateways(sys, pop);
    // User u (one connection each) is in room ⌊u / S⌋, and room c's members all on gateway c mod G.
    const specs = Array.from({ length: connections }, (_, u) => ({
      actor: pop.rooms[u],
      channelId: pop.channels.rooms[Math.floor(u / S)],
      server: Math.floor(u / S) % G,
    }));
    const conn = await connectActors(ctx, sys, specs);
    log(
      `adapters (${adapter}): ${conn.result.connected}/${connections} in ${conn.result.seconds.toFixed(1)} s`,
    );
    const adapterSeen = await observeAdapter(ctx.redis, env.redisPrefix);
    if (adapterSeen.observed !== adapter)
      log(`adapters: asked for the ${adapter} adapter, Redis shows ${adapterSeen.observed}`);
    const idle = await idleWindow(ctx, sys, o.idleMs);
    const rooms = Math.ceil(connections / S);
    const sender = (c: number): { at: Placement; channelId: string } => ({
      at: conn.placements[c * S],
      channelId: pop.channels.rooms[c],
    });
    const phase = async (label: string, roomIds: number[]) => {
      log(`adapters (${adapter}): ${o.rate} msg/s into ${label}`);
      const x = await openLoop(ctx, sys, roomIds.map(sender), o.rate, S, o.warmMs, o.durationMs);
      const perServer = sys.servers.map((s) => x.cpuPerProcess.servers?.[s.pid] ?? 0);
      return { x, perServer };
    };
    const own = Array.from({ length: rooms }, (_, c) => c).filter((c) => c % G === 0);
    const foreign = await phase(`gateway 1's ${own.length} rooms only`, own);
    const all = await phase(
      `all ${rooms} rooms`,
      Array.from({ length: rooms }, (_, c) => c),
    );
    await disconnectAll(ctx);
    const replicas = sys.servers.map((s, g) => ({
      gateway: g + 1,
      pid: s.pid,
      connections: specs.filter((x) => x.server === g).length,
      roomsHeld: Array.from({ length: rooms }, (_, c) => c).filter((c) => c % G === g).length,
      cpuCores: {
        idle: idle.perServer[g],
        ownRoomsOfGateway1: foreign.perServer[g],
        allRooms: all.perServer[g],
      },
      /**
       * Gateways 2…G during the first phase hold no socket of any room written to: CPU above idle per
       * message is what a replica spends on a room it holds nothing for (gateway 1: its own rooms).
       */
      cpuUsPerMessageGateway1Rooms: per((foreign.perServer[g] - idle.perServer[g]) * 1e6, o.rate),
      cpuUsPerMessageAllRooms: per((all.perServer[g] - idle.perServer[g]) * 1e6, o.rate),
    }));
    const others = replicas.slice(1).map((r) => r.cpuUsPerMessageGateway1Rooms ?? 0);
    return {
      adapter,
      adapterSeen,
      gateways: G,
      connectionsPerGateway: perGateway,
      roomSize: S,
      rooms,
      rate: o.rate,
      databasePoolSize: stack.env.DATABASE_POOL_SIZE ?? null,
      connect: conn.result,
      idle,
      /** Mean over gateways 2…G: CPU µs per message for rooms the replica holds no socket for. */
      foreignRoomCpuUsPerMessage: others.length ? others.reduce((a, b) => a + b, 0) / others.length : null,
      replicas,
      phases: { gateway1Rooms: loadSummary(foreign.x), allRooms: loadSummary(all.x) },
      redis: {
        cpuUsPerPublishedMessage: per(((all.x.cpu.redis ?? 0) - idle.redis) * 1e6, o.rate),
        commandsPerSecond: all.x.redis?.commandsPerSecond ?? null,
      },
    };
  } finally {
    await disconnectAll(ctx).catch(() => undefined);
    await stop().catch((err: Error) => log(`adapters stack stop: ${err.message}`));
  }
}
