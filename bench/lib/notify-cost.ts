import { io, type Socket } from 'socket.io-client';
import type { Actor, Population } from './setup';
import {
  connectActors,
  disconnectAll,
  fanoutSenders,
  openLoop,
  type Ctx,
  type OpenLoopResult,
} from './scenarios';
import type { System } from './systems';

/**
 * What deciding who a message notifies costs in a 1,000-member channel (issue #17: at most 10 %
 * over fan-out without notifications). The fan-out channel's clients, one constant rate, four
 * phases of the same length:
 * - `off`: the same load on gateways started with NOTIFICATIONS_ENABLED=false (the decision never
 *   runs): the fan-out alone, the reference of the 10 %;
 * - `defaults`: every member at the default level (`mentions`), messages mention nobody: each
 *   message still runs the decision (one statement reading the members who changed a level: none
 *   here), and notifies nobody;
 * - `all50`: 50 members at `all`: each message also pushes one `notification` to 50 users (their
 *   sockets on every replica), asks presence who of them is online and records digest rows;
 * - `channelEvery10`: defaults, but every 10th message says `@channel` (sent over REST by one
 *   member, the other nine in ten by the usual senders): that message's decision reads the whole
 *   membership and pushes a `notification` to 999 users, a second fan-out to the whole channel.
 * The three phases with notifications run on one set of gateways (a block), `off` on another,
 * started in their place; `order` says which block runs first (alternated per repeat by the
 * caller, so a drift of the machine lands on both alike). Each block connects every client again
 * and warms up before it is measured.
 * Figures per phase: the servers' (gateways') CPU per message, Postgres' CPU per message, the
 * `message:new` delivery p50/p99 (the usual senders' messages only) and the delivery ratio.
 * `vsOff` divides each phase with notifications by `off`; `ratios` (kept from before the switch)
 * each phase by `defaults`, and `defaultsOverFanout` `defaults` by the fan-out ramp's step at the
 * same rate in the same run when the `fanout` scenario ran first.
 */
export interface NotifyPhase {
  /** Messages in the measured window at the intended rate (REST @channel ones included). */
  messages: number;
  /** Messages per second over the measured window. */
  rate: number;
  deliveryRatio: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Gateways' CPU (cores) over the window, and per message in µs. */
  serverCpu: number;
  serverCpuUsPerMessage: number;
  postgresCpuUsPerMessage: number | null;
  /** `notification` events one watching socket of a member at `all` (all50) or any member (channelEvery10) received. */
  notificationsSeen: number;
  /** REST @channel sends that failed (channelEvery10). */
  restErrors: number;
  errors: Record<string, number>;
  /** The busiest gateway's event-loop utilization over the window (0–1). */
  serverLoopUtilization: number | null;
  /**
   * The fan-out ramp's saturation test (p99 > `stopAboveMs` or delivery < 0.9): a backlog, where
   * the p99 is queueing and the CPU per message is the CPU the gateways were given, not the
   * messages' cost (another tenant on the servers' CPU does this too).
   */
  saturated: boolean;
}

export type NotifyPhaseName = 'off' | 'defaults' | 'all50' | 'channelEvery10';

/** A phase over another: > 1 costs more. */
export interface NotifyRatio {
  serverCpuPerMessage: number;
  latencyP99: number;
}

export interface NotifyCostResult {
  clients: number;
  /** Clients connected in the block with notifications on, and in the `off` block. */
  connected: number;
  connectedOff: number;
  rate: number;
  /** The blocks in the order they ran. */
  order: NotifyBlock[];
  /** The gateways' pids of each block. */
  gatewayPids: { on: number[]; off: number[] };
  phases: Record<NotifyPhaseName, NotifyPhase>;
  /** Phase / defaults: >1 costs more. */
  ratios: { all50: NotifyRatio; channelEvery10: NotifyRatio };
  /** Phase / off: what notifications cost over the fan-out alone (the issue's ≤ 1.10). */
  vsOff: { defaults: NotifyRatio; all50: NotifyRatio; channelEvery10: NotifyRatio };
  /**
   * `notification` events the watching socket got for one `@channel` message sent to the `off`
   * gateways after their phase: 0 shows the switch took (channelEvery10's count shows the opposite).
   */
  offCheck: { notificationsSeen: number };
  /** The fan-out ramp's step at `rate` in this run, and defaults / it (null when not run). */
  fanoutStep: { serverCpuUsPerMessage: number; latencyP99Ms: number } | null;
  defaultsOverFanout: NotifyRatio | null;
}

/** `on`: the gateways as configured (defaults, all50, channelEvery10); `off`: NOTIFICATIONS_ENABLED=false. */
export type NotifyBlock = 'on' | 'off';

export interface NotifyCostOptions {
  rate: number;
  warmMs: number;
  durationMs: number;
  senders: number;
  order: NotifyBlock[];
  /**
   * Replaces the system's gateways with fresh ones with notifications on or off (no client is
   * connected then) and answers the system as it now is.
   */
  setNotifications: (enabled: boolean) => Promise<System>;
  /** The fan-out ramp's steps of this system and repeat, for the comparison (optional). */
  fanoutSteps?: OpenLoopResult[];
}

/** Members switched to `all` in the all50 phase. */
const ALL_MEMBERS = 50;
/** One message in this many mentions @channel in the channelEvery10 phase. */
const CHANNEL_EVERY = 10;
/** How long the off check waits for a `notification` that should never come. */
const OFF_CHECK_WAIT_MS = 1500;

/** The fan-out clients connected to `sys`, the senders among them, the watcher; warmed up. */
interface Session {
  sys: System;
  connected: number;
  watcher: Watcher;
  run: (rate: number) => Promise<OpenLoopResult>;
  close: () => Promise<void>;
}

export async function notifyCost(
  ctx: Ctx,
  initial: System,
  pop: Population,
  o: NotifyCostOptions,
): Promise<NotifyCostResult> {
  const channelId = pop.channels.fanout;
  // The members switched to `all`: past the senders' first picks, none of them sends.
  const allMembers = pop.fanout.slice(-ALL_MEMBERS);
  const announcer = pop.fanout[0];
  let sys = initial;
  let enabled = true;
  const switchTo = async (want: boolean) => {
    if (enabled === want) return;
    ctx.log(`${sys.name}: notify cost, gateways restarted with notifications ${want ? 'on' : 'off'}`);
    sys = await o.setNotifications(want);
    enabled = want;
  };
  const open = async (): Promise<Session> => {
    const conn = await connectActors(
      ctx,
      sys,
      pop.fanout.map((actor) => ({ actor, channelId })),
    );
    const senders = fanoutSenders(pop, conn.placements, o.senders, ctx.pool.size);
    const at = sys;
    const watcher = await watch(at.urls[0], allMembers[0]);
    const run = (rate: number) =>
      openLoop(ctx, at, senders, rate, conn.result.connected, o.warmMs, o.durationMs);
    // Unmeasured: JIT, pools and plans warm up.
    await openLoop(ctx, at, senders, o.rate, conn.result.connected, 0, o.warmMs * 2);
    return {
      sys: at,
      connected: conn.result.connected,
      watcher,
      run,
      close: async () => {
        watcher.close();
        await disconnectAll(ctx);
      },
    };
  };

  const phases: Partial<Record<NotifyPhaseName, NotifyPhase>> = {};
  const connected = { on: 0, off: 0 };
  const gatewayPids = { on: [] as number[], off: [] as number[] };
  let offCheck = { notificationsSeen: -1 };
  try {
    for (const block of o.order) {
      await switchTo(block === 'on');
      const s = await open();
      connected[block] = s.connected;
      gatewayPids[block] = s.sys.servers.map((x) => x.pid);
      try {
        if (block === 'on') Object.assign(phases, await onBlock(ctx, s, o, channelId, allMembers, announcer));
        else {
          ctx.log(`${s.sys.name}: notify cost, notifications off at ${o.rate}/s`);
          phases.off = phase(ctx, await s.run(o.rate), 0, 0, s.watcher.take());
          offCheck = await checkOff(s, announcer, channelId);
        }
      } finally {
        await s.close();
      }
    }
  } finally {
    await setLevels(sys.urls[0], channelId, allMembers, 'mentions').catch(() => undefined);
    // Later work on this system (and its stop) expects it as configured.
    await switchTo(true).catch((err: Error) =>
      ctx.log(`notify cost: restoring the gateways failed: ${err.message}`),
    );
  }
  const { off, defaults, all50, channelEvery10 } = phases as Record<NotifyPhaseName, NotifyPhase>;
  const fanoutStep = o.fanoutSteps?.find((s) => s.rate === o.rate) ?? null;
  const step = fanoutStep
    ? {
        serverCpuUsPerMessage: ((fanoutStep.cpu.servers ?? 0) / fanoutStep.rate) * 1e6,
        latencyP99Ms: fanoutStep.latency.p99,
      }
    : null;
  const ratio = (x: NotifyPhase, y: { serverCpuUsPerMessage: number; latencyP99Ms: number }) => ({
    serverCpuPerMessage: x.serverCpuUsPerMessage / y.serverCpuUsPerMessage,
    latencyP99: x.latencyP99Ms / y.latencyP99Ms,
  });
  return {
    clients: pop.fanout.length,
    connected: connected.on,
    connectedOff: connected.off,
    rate: o.rate,
    order: o.order,
    gatewayPids,
    phases: { off, defaults, all50, channelEvery10 },
    ratios: { all50: ratio(all50, defaults), channelEvery10: ratio(channelEvery10, defaults) },
    vsOff: {
      defaults: ratio(defaults, off),
      all50: ratio(all50, off),
      channelEvery10: ratio(channelEvery10, off),
    },
    offCheck,
    fanoutStep: step,
    defaultsOverFanout: step ? ratio(defaults, step) : null,
  };
}

/** defaults, all50, channelEvery10 on gateways with notifications on. */
async function onBlock(
  ctx: Ctx,
  s: Session,
  o: NotifyCostOptions,
  channelId: string,
  allMembers: Actor[],
  announcer: Actor,
): Promise<Pick<Record<NotifyPhaseName, NotifyPhase>, 'defaults' | 'all50' | 'channelEvery10'>> {
  const base = s.sys.urls[0];
  ctx.log(`${s.sys.name}: notify cost, defaults at ${o.rate}/s`);
  s.watcher.take();
  const defaults = phase(ctx, await s.run(o.rate), 0, 0, s.watcher.take());

  await setLevels(base, channelId, allMembers, 'all');
  s.watcher.take();
  ctx.log(`${s.sys.name}: notify cost, ${ALL_MEMBERS} members at all`);
  const all50 = phase(ctx, await s.run(o.rate), 0, 0, s.watcher.take());
  await setLevels(base, channelId, allMembers, 'mentions');

  ctx.log(`${s.sys.name}: notify cost, every ${CHANNEL_EVERY}th message @channel`);
  const restRate = o.rate / CHANNEL_EVERY;
  const startAt = Date.now() + 500;
  const rest = announce(base, announcer, channelId, restRate, startAt, o.warmMs + o.durationMs + 500);
  s.watcher.take();
  const mixedRun = await s.run(o.rate - restRate);
  const restErrors = await rest;
  const channelEvery10 = phase(ctx, mixedRun, restRate, restErrors, s.watcher.take());
  return { defaults, all50, channelEvery10 };
}

/** One `@channel` message to the `off` gateways: how many `notification` events the watcher got. */
async function checkOff(
  s: Session,
  announcer: Actor,
  channelId: string,
): Promise<{ notificationsSeen: number }> {
  s.watcher.take();
  // -1: the check's message was refused, so it says nothing (the phase's figures still stand).
  if (await announce(s.sys.urls[0], announcer, channelId, 1, Date.now(), 1)) return { notificationsSeen: -1 };
  await new Promise((r) => setTimeout(r, OFF_CHECK_WAIT_MS));
  return { notificationsSeen: s.watcher.take() };
}

/**
 * One phase's figures over the open loop's measured window, at the intended rate: the open loop's
 * own plus `extraRate` (the REST @channel messages, whose CPU is in the window too).
 */
function phase(
  ctx: Ctx,
  r: OpenLoopResult,
  extraRate: number,
  restErrors: number,
  seen: number,
): NotifyPhase {
  const rate = r.rate + extraRate;
  const serverCpu = r.cpu.servers ?? 0;
  const pg = r.cpu.postgres;
  return {
    messages: Math.round(rate * r.seconds),
    rate,
    deliveryRatio: r.deliveryRatio,
    latencyP50Ms: r.latency.p50,
    latencyP99Ms: r.latency.p99,
    serverCpu,
    serverCpuUsPerMessage: (serverCpu / rate) * 1e6,
    postgresCpuUsPerMessage: pg === undefined ? null : (pg / rate) * 1e6,
    notificationsSeen: seen,
    restErrors,
    errors: r.errors,
    serverLoopUtilization: r.serverLoops.length ? Math.max(...r.serverLoops.map((l) => l.utilization)) : null,
    saturated: r.latency.p99 > ctx.cfg.stopAboveMs || r.deliveryRatio < 0.9,
  };
}

/** Sets the level of each of `members` here through the API (a few at a time). */
async function setLevels(base: string, channelId: string, members: Actor[], notify: string): Promise<void> {
  for (let i = 0; i < members.length; i += 10) {
    await Promise.all(
      members.slice(i, i + 10).map(async (m) => {
        const res = await fetch(`${base}/channels/${channelId}/preferences`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ notify }),
        });
        if (res.status !== 200) throw new Error(`PUT preferences: ${res.status} ${await res.text()}`);
      }),
    );
  }
}

/**
 * `@channel` messages over REST at `rate` per second from `startAt` for `ms`, alongside the open
 * loop (which starts at its own now + 500 ms, as this does); answers how many failed.
 */
async function announce(
  base: string,
  actor: Actor,
  channelId: string,
  rate: number,
  startAt: number,
  ms: number,
): Promise<number> {
  let errors = 0;
  const interval = 1000 / rate;
  const pending: Promise<void>[] = [];
  for (let k = 0; startAt + k * interval < startAt + ms; k++) {
    const at = startAt + k * interval;
    await new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
    pending.push(
      fetch(`${base}/channels/${channelId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${actor.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ body: `@channel notify bench ${k}` }),
      }).then(
        async (res) => {
          await res.arrayBuffer();
          if (res.status !== 201) errors++;
        },
        () => void errors++,
      ),
    );
  }
  await Promise.all(pending);
  return errors;
}

interface Watcher {
  /** `notification` events since the last take. */
  take: () => number;
  close: () => void;
}

/** An extra socket of one member, counting the `notification` events it receives. */
async function watch(base: string, actor: Actor): Promise<Watcher> {
  const socket: Socket = io(base, {
    transports: ['websocket'],
    auth: { token: actor.token },
    reconnection: false,
    forceNew: true,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  let seen = 0;
  socket.on('notification', () => void seen++);
  return {
    take: () => {
      const n = seen;
      seen = 0;
      return n;
    },
    close: () => void socket.close(),
  };
}
