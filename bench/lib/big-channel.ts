import type { Actor } from './setup';
import { connectActors, disconnectAll, openLoop, type Ctx } from './scenarios';
import type { System } from './systems';

/**
 * The large-channel figure: how long one server's event loop is blocked while it writes a message
 * to every socket of a very large channel (10,000 in the full run). socket.io writes a broadcast
 * in one synchronous loop; the gateway writes rooms larger than SOCKET_BROADCAST_SLICE a slice per
 * turn (apps/gateway/src/infra/sliced-broadcast.ts), so its maximum event-loop delay should stay
 * near one slice's write however large the channel, while the baseline's grows with it.
 *
 * All `actors` must be members of `channelId` (the baseline joins the room from its handshake).
 * A few messages a second, so each broadcast is measured alone rather than queued behind the
 * previous one; the probe's event-loop delay maximum over the window is the figure (resolution
 * 10 ms, bench/probe.ts).
 */
export interface BigChannelResult {
  clients: number;
  connected: number;
  connectSeconds: number;
  messages: number;
  deliveryRatio: number;
  /** Worst event-loop delay of any server process while the messages were written. */
  maxLoopBlockMs: number;
  /**
   * The servers' worst event-loop delay p99 over the window: near the maximum when every
   * broadcast blocks alike, far below it when one stall (a GC, another tenant of the CPU) made it.
   */
  loopDelayP99Ms: number;
  /** The servers' CPU over the window (cores). */
  serverCpu: number;
  /** Median e2e latency, and the worst: the last socket of a slice-written room waits the longest. */
  latencyP50Ms: number;
  latencyMaxMs: number;
}

export interface BigChannelOptions {
  /** Messages per second (default 2). */
  rate?: number;
  warmMs?: number;
  durationMs?: number;
}

export async function bigChannel(
  ctx: Ctx,
  sys: System,
  actors: Actor[],
  channelId: string,
  o: BigChannelOptions = {},
): Promise<BigChannelResult> {
  const rate = o.rate ?? 2;
  const conn = await connectActors(
    ctx,
    sys,
    actors.map((actor) => ({ actor, channelId })),
  );
  try {
    // One sender: each message is one broadcast to the whole channel.
    const [sender] = conn.placements;
    const run = await openLoop(
      ctx,
      sys,
      [{ at: sender, channelId }],
      rate,
      conn.result.connected,
      o.warmMs ?? 1000,
      o.durationMs ?? 5000,
    );
    return {
      clients: actors.length,
      connected: conn.result.connected,
      connectSeconds: conn.result.seconds,
      messages: run.attempted,
      deliveryRatio: run.deliveryRatio,
      maxLoopBlockMs: Math.max(0, ...run.serverLoops.map((l) => l.delayMaxMs)),
      loopDelayP99Ms: Math.max(0, ...run.serverLoops.map((l) => l.delayP99Ms)),
      serverCpu: run.cpu.servers ?? 0,
      latencyP50Ms: run.latency.p50,
      latencyMaxMs: run.latency.max,
    };
  } finally {
    await disconnectAll(ctx);
  }
}
