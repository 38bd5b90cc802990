import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
export { startOwnRedis, type OwnRedis } from '../../support/own-redis';
import type { TcpProxy } from '../../support/tcp-proxy';
export { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy';
export { waitFor } from '../../support/wait-for';

/**
 * Dependencies the fault tests own, so they can take them away without touching the machine's
 * shared Postgres and Redis (other suites use those at the same time).
 */

/** The compiled project the process stack runs: FAULTS_DIST_DIR, else `dist` (`npm run build:server`). */
export function distDir(): string {
  const dir = resolve(process.env.FAULTS_DIST_DIR ?? 'dist');
  for (const app of ['auth', 'gateway', 'media']) {
    const main = join(dir, 'apps', app, 'src', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build:server\` first`);
  }
  return dir;
}

/**
 * The run's Postgres server: DATABASE_URL's, or the embedded PostgreSQL the global setup started
 * when DATABASE_URL is unset.
 */
export function postgresServerUrl(): string {
  const url = process.env.TEST_DATABASE_SERVER_URL;
  if (!url)
    throw new Error(
      'TEST_DATABASE_SERVER_URL is not set: run the fault tests through jest (test/global-setup.ts)',
    );
  return url;
}

/** `postgres://user@host:port/db` rewritten to go through `proxy`. */
export function viaProxy(databaseUrl: string, proxy: TcpProxy): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

/** Writes a scenario's figures to artifacts/faults/<name>.json (gitignored) and prints them. */
export function writeFigures(name: string, figures: Record<string, unknown>): void {
  const dir = resolve('artifacts', 'faults');
  mkdirSync(dir, { recursive: true });
  const body = { scenario: name, measuredAt: new Date().toISOString(), machine: machineNote(), ...figures };
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(body, null, 2) + '\n');
  console.log(`[faults] ${name}\n${JSON.stringify(figures, null, 2)}`);
}

function machineNote(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join('/');
  return `${cpus().length} cores, load average ${load}, shared with other test runs`;
}

/** The p-th percentile (0–100) of `values`, nearest-rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(values: number[]): {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
} {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p95: round(percentile(values, 95)),
    p99: round(percentile(values, 99)),
    max: round(values.length ? Math.max(...values) : NaN),
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The test process's own event-loop delay: its clients and the front door live in it, so on a
 * saturated machine part of every latency measured is this lag, not the services'.
 */
export function startLoopMonitor(): { stop(): { p50: number; p99: number; max: number } } {
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  return {
    stop: () => {
      h.disable();
      return {
        p50: Math.round(h.percentile(50) / 1e6),
        p99: Math.round(h.percentile(99) / 1e6),
        max: Math.round(h.max / 1e6),
      };
    },
  };
}
