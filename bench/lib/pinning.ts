import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU pinning with util-linux `taskset`: on a 2-core machine the servers under test get one core
 * and the load generators (and the orchestrator) the other, so a generator's burst never steals
 * the servers' core and the servers' CPU figures are not diluted by the generators'. Without
 * taskset, or with fewer than 2 usable cores, everything runs unpinned and the run says so.
 */
export interface PinPlan {
  pinned: boolean;
  /** Why not pinned (no taskset, one core, --no-pin), or null. */
  reason: string | null;
  /** taskset CPU lists (`0`, `2,3`, `0-1`), or null when unpinned. */
  serverCpus: string | null;
  generatorCpus: string | null;
  /** The CPUs this process may use (its own affinity at start). */
  available: number[];
}

/** `0-2,5` → [0, 1, 2, 5]; throws on anything else. */
export function parseCpuList(list: string): number[] {
  const out = new Set<number>();
  for (const part of list.split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`not a CPU list: ${list}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 4096) throw new Error(`not a CPU list: ${list}`);
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  if (!out.size) throw new Error(`empty CPU list: ${list}`);
  return [...out].sort((a, b) => a - b);
}

/** The CPUs a process may run on (/proc/<pid>/status), or null when it is gone. */
export function affinityOf(pid: number): string | null {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function planPinning(o: { serverCpus: string; generatorCpus: string; disabled: boolean }): PinPlan {
  const own = affinityOf(process.pid);
  const available = own ? parseCpuList(own) : [];
  const unpinned = (reason: string): PinPlan => ({
    pinned: false,
    reason,
    serverCpus: null,
    generatorCpus: null,
    available,
  });
  if (o.disabled) return unpinned('--no-pin');
  if (!hasTaskset()) return unpinned('taskset (util-linux) not found');
  if (available.length < 2) return unpinned(`only ${available.length} usable core(s)`);
  const server = parseCpuList(o.serverCpus);
  const gens = parseCpuList(o.generatorCpus);
  const missing = [...server, ...gens].filter((c) => !available.includes(c));
  if (missing.length)
    throw new Error(`CPU(s) ${missing.join(', ')} not usable here (this process may use ${own})`);
  if (server.some((c) => gens.includes(c)))
    throw new Error(`--server-cpus ${o.serverCpus} and --generator-cpus ${o.generatorCpus} overlap`);
  return { pinned: true, reason: null, serverCpus: o.serverCpus, generatorCpus: o.generatorCpus, available };
}

/** Sets the affinity of every thread of a running process; false if taskset refused. */
export function pinPid(pid: number, cpus: string | null): boolean {
  if (!cpus) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` with this process (every thread) pinned to `cpus`, so the processes it spawns start
 * under that affinity (children inherit it), then restores `restore`. For launchers that spawn
 * node themselves (scripts/lib/process-stack.ts), where no `taskset` prefix can be added.
 */
export async function withAffinity<T>(cpus: string | null, restore: string | null, fn: () => Promise<T>) {
  if (!cpus) return fn();
  pinPid(process.pid, cpus);
  try {
    return await fn();
  } finally {
    pinPid(process.pid, restore ?? '0-4095');
  }
}

/**
 * `node <script>` under `taskset -c <cpus>` (plain node when `cpus` is null), with an IPC channel
 * when stdio asks for one: fork() cannot take a prefix, spawn() with 'ipc' is the same channel.
 */
export function spawnNode(script: string, cpus: string | null, options: SpawnOptions): ChildProcess {
  return cpus
    ? spawn('taskset', ['-c', cpus, process.execPath, script], options)
    : spawn(process.execPath, [script], options);
}
