/**
 * What one presence lease renewal holds up, at a replica's size: the leases of N sockets renewed
 * in one go (as every PRESENCE_LEASE_MS / 3 until 2026-12-07) against one slice of them (as
 * `SocketRounds` does now, apps/gateway/src/infra/socket-rounds.ts), through the real
 * `RedisLeaseStore` on REDIS_URL. Prints, as the median of 5, how long the renewal takes, how long
 * a command sent on the same connection just after it waits (a send's publish shares it), the
 * longest event-loop delay while it runs, and the longest PING of another Redis client; and what
 * choosing a slice among N sockets costs a tick.
 *
 * `node dist/bench/bench/lease-renewal.js [N ...]` (default 5,000 and 50,000: the benchmark's
 * many-rooms replica, and the capacity model's connections per replica, docs/scaling.md), after
 * `npm run build:server && npm run bench:build`. Pin it (`taskset -c 0`) on a quiet machine.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import type { GatewaySocket } from '../apps/gateway/src/infra/socket-hub';
import { SocketRounds } from '../apps/gateway/src/infra/socket-rounds';
import { RedisLeaseStore, type Lease } from '../apps/gateway/src/presence/lease-store';

const LEASE_MS = 30_000;
const REPEATS = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function renewal(store: RedisLeaseStore, redis: Redis, probe: Redis, leases: Lease[]) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // Enabled ahead: the histogram counts a delay from its previous sample, so its first is not one.
  delay.enable();
  let pingMax = 0;
  let stop = false;
  const pinger = (async () => {
    while (!stop) {
      const t = performance.now();
      await probe.ping();
      pingMax = Math.max(pingMax, performance.now() - t);
      await sleep(1);
    }
  })();
  await sleep(20);
  const started = performance.now();
  const renewed = store.acquireMany(leases, Date.now() + LEASE_MS, Date.now());
  // The gateway's own next command (a send's publish shares the store's connection) queues behind it.
  const own = performance.now();
  await redis.ping();
  const ownWait = performance.now() - own;
  await renewed;
  const took = performance.now() - started;
  await sleep(20);
  delay.disable();
  stop = true;
  await pinger;
  return { took, ownWait, loopMax: delay.max / 1e6, pingMax };
}

async function main(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const sizes = process.argv.slice(2).map(Number);
  const redis = new Redis(url);
  const probe = new Redis(url);
  for (const n of sizes.length > 0 ? sizes : [5000, 50_000]) {
    const prefix = `bench-lease-renewal-${process.pid}-${n}`;
    const store = new RedisLeaseStore(redis, prefix);
    const leases = Array.from({ length: n }, (_, i) => ({
      userId: `u${i}`,
      socketId: `socket-${i}-0123456789`,
    }));
    await store.acquireMany(leases, Date.now() + LEASE_MS, Date.now());

    const sockets = leases.map((l) => ({ id: l.socketId, data: {} }) as unknown as GatewaySocket);
    const rounds = new SocketRounds({
      periodMs: LEASE_MS / 3,
      sockets: () => sockets,
      visit: () => Promise.resolve(),
      onError: () => undefined,
    });
    const slice = Math.ceil(n / rounds.slices);
    for (const [label, size] of [
      ['all at once', n],
      [`one slice of ${rounds.slices}`, slice],
    ] as const) {
      const runs = [];
      for (let i = 0; i < REPEATS; i++) runs.push(await renewal(store, redis, probe, leases.slice(0, size)));
      console.log(
        `${n} sockets, ${label} (${size} leases): renewal ${median(runs.map((r) => r.took)).toFixed(1)} ms, ` +
          `the same connection's next command ${median(runs.map((r) => r.ownWait)).toFixed(1)} ms, ` +
          `event-loop delay max ${median(runs.map((r) => r.loopMax)).toFixed(1)} ms, ` +
          `another client's PING max ${median(runs.map((r) => r.pingMax)).toFixed(1)} ms`,
      );
    }
    const ticks = [];
    for (let i = 0; i < rounds.slices; i++) {
      const t = performance.now();
      await rounds.tick();
      ticks.push(performance.now() - t);
    }
    console.log(
      `${n} sockets: choosing a tick's slice ${median(ticks).toFixed(2)} ms (median of ${rounds.slices})`,
    );

    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if (next === '0') break;
      cursor = next;
    }
  }
  redis.disconnect();
  probe.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
