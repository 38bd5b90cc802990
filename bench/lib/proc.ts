import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU and memory of processes from /proc (Linux only): utime+stime ticks of
 * /proc/<pid>/stat and VmRSS of /proc/<pid>/status.
 */
let ticksPerSecond = 100;
try {
  ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* 100 is the Linux default */
}

/** utime+stime in seconds, or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return null;
  }
}

export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A named set of processes whose membership may change (Postgres backends come and go). */
export interface ProcessGroup {
  name: string;
  pids(): Promise<number[]> | number[];
}

export interface CpuWindow {
  /** CPU seconds per wall second, per group (1.0 = one core busy). */
  cores: Record<string, number>;
  /** The same per process: group → pid → cores. */
  perProcess: Record<string, Record<number, number>>;
  seconds: number;
}

/**
 * CPU used by each group between `start()` and `stop()`. A process that appears in between is
 * counted from zero (it started inside the window); one that exits in between is lost.
 */
export class CpuSampler {
  private start: { at: number; ticks: Map<string, Map<number, number>> } | null = null;

  constructor(private readonly groups: ProcessGroup[]) {}

  async begin(): Promise<void> {
    this.start = { at: performance.now(), ticks: await this.read() };
  }

  async end(): Promise<CpuWindow> {
    if (!this.start) throw new Error('CpuSampler.end before begin');
    const end = await this.read();
    const seconds = (performance.now() - this.start.at) / 1000;
    const cores: Record<string, number> = {};
    const perProcess: Record<string, Record<number, number>> = {};
    for (const [name, pids] of end) {
      let used = 0;
      perProcess[name] = {};
      const before = this.start.ticks.get(name) ?? new Map<number, number>();
      for (const [pid, t] of pids) {
        const d = t - (before.get(pid) ?? 0);
        used += d;
        if (d > 0 && seconds > 0) perProcess[name][pid] = d / seconds;
      }
      cores[name] = seconds > 0 ? used / seconds : 0;
    }
    return { cores, perProcess, seconds };
  }

  private async read(): Promise<Map<string, Map<number, number>>> {
    const out = new Map<string, Map<number, number>>();
    for (const g of this.groups) {
      const m = new Map<number, number>();
      for (const pid of await g.pids()) {
        const t = cpuSeconds(pid);
        if (t !== null) m.set(pid, t);
      }
      out.set(g.name, m);
    }
    return out;
  }
}

/** Soft and hard limits on open files of this process. */
export function openFileLimits(): { soft: number; hard: number } {
  const text = readFileSync('/proc/self/limits', 'utf8');
  const m = /Max open files\s+(\S+)\s+(\S+)/.exec(text);
  const n = (s: string | undefined) => (s === undefined || s === 'unlimited' ? Infinity : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/**
 * Raises this process's open-file limit to at least `need` (children inherit it) with util-linux
 * `prlimit`: the soft limit up to the hard one, or both where the user may (root). Returns the
 * limits in force afterwards; the caller fails clearly if they are still too low.
 */
export function raiseOpenFileLimit(need: number): { soft: number; hard: number; raised: boolean } {
  const before = openFileLimits();
  if (before.soft >= need) return { ...before, raised: false };
  const attempts = [`--nofile=${need}:${Math.max(need, before.hard === Infinity ? need : before.hard)}`];
  if (before.hard >= need) attempts.unshift(`--nofile=${need}:`);
  for (const arg of attempts) {
    try {
      execFileSync('prlimit', ['--pid', String(process.pid), arg], { stdio: 'ignore' });
      break;
    } catch {
      /* not allowed or no prlimit: try the next, then report */
    }
  }
  const after = openFileLimits();
  return { ...after, raised: after.soft > before.soft };
}
