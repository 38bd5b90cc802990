import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'pg';
import { pgrep, rssBytes, type ProcessGroup } from './proc';

/** What bench/probe.ts reports from inside a server process. */
export interface ProbeReport {
  pid: number;
  at: number;
  memory: NodeJS.MemoryUsage;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  eventLoopUtilization: number;
  /** Garbage collections since the previous report (absent from a probe older than this field). */
  gc?: ServerGc;
}

/** A kind of garbage collection over a period: how many, and their pauses. */
export interface GcPauses {
  count: number;
  pauseMs: number;
  maxPauseMs: number;
}

/** Scavenges, major collections, and how much the old generation grew between collections. */
export interface ServerGc {
  minor: GcPauses;
  major: GcPauses;
  oldGrowthBytes: number;
}

/** Asks a process running bench/probe.ts for a report (after a full GC with "gc"). */
export async function probe(
  dir: string,
  pid: number,
  cmd: 'gc' | 'stat' | 'snapshot',
  timeoutMs = cmd === 'snapshot' ? 120_000 : 5000,
): Promise<ProbeReport | null> {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${pid}.json`);
  rmSync(out, { force: true });
  writeFileSync(join(dir, `${pid}.cmd`), cmd);
  const sent = Date.now();
  try {
    process.kill(pid, 'SIGWINCH');
  } catch {
    return null;
  }
  const deadline = sent + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const report = JSON.parse(readFileSync(out, 'utf8')) as ProbeReport;
      if (report.at >= sent - 5) return report;
    } catch {
      /* not written yet */
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return null;
}

/** The heap figure the gateway exports (prom-client), read the same way from the baseline. */
export async function scrapeHeapUsed(metricsUrl: string): Promise<number | null> {
  try {
    const res = await fetch(metricsUrl);
    const text = await res.text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})?\s+([0-9.e+]+)/m.exec(text);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export interface ServerMemory {
  pid: number;
  rssBytes: number | null;
  heapUsedBytes: number | null;
}

/** RSS and heap of each server after a full GC in it. */
export async function serverMemory(
  probeDir: string,
  servers: { pid: number; metricsUrl: string }[],
): Promise<ServerMemory[]> {
  const out: ServerMemory[] = [];
  for (const s of servers) {
    await probe(probeDir, s.pid, 'gc');
    await new Promise((r) => setTimeout(r, 200));
    out.push({ pid: s.pid, rssBytes: rssBytes(s.pid), heapUsedBytes: await scrapeHeapUsed(s.metricsUrl) });
  }
  return out;
}

export function redisGroup(): ProcessGroup {
  return { name: 'redis', pids: () => pgrep(['-x', 'redis-server']) };
}

/**
 * This run's Postgres: the backends connected to its database plus the server's own background
 * processes and postmaster (shared with anything else using the server, so noisy on a busy machine).
 */
export function postgresGroup(monitor: Client, database: string): ProcessGroup {
  return {
    name: 'postgres',
    pids: async () => {
      const { rows } = await monitor.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 OR backend_type <> 'client backend'`,
        [database],
      );
      const postmaster = pgrep(['-o', '-x', 'postgres']);
      return [...new Set([...rows.map((r) => r.pid), ...postmaster])];
    },
  };
}
