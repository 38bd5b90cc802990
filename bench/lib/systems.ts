import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startProcessStack, type ProcessStack } from '../../scripts/lib/process-stack';
import { pinPid, spawnNode, withAffinity } from './pinning';

export type { ProcessStack };

/** One thing under test: the project with N gateways, or the bare socket.io baseline with N processes. */
export interface System {
  name: string;
  kind: 'project' | 'baseline';
  processes: number;
  /** Where clients connect (one per gateway / baseline process). */
  urls: string[];
  servers: { pid: number; metricsUrl: string }[];
  /** Other processes of the system (auth, media) for the CPU figures. */
  otherPids: number[];
  stop(): Promise<void>;
}

export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host))
    throw new Error(`refusing to load a non-loopback address: ${url}`);
}

export interface ProjectOptions {
  gateways: number;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  dataDir: string;
  /** The project's compiled output (`npm run build:server`). */
  distDir: string;
  nodeOptions: string;
  probeDir: string;
  log: (line: string) => void;
  /** taskset CPU list for every service process (null: unpinned), and the orchestrator's own. */
  serverCpus: string | null;
  orchestratorCpus: string | null;
  /** Extra environment for the services, e.g. SOCKET_ADAPTER. */
  env?: Record<string, string>;
}

/**
 * The built project in production mode (scripts/lib/process-stack.ts): auth, media and N gateways
 * as separate node processes, with the limits that would throttle a load generator lifted
 * (every generated user would otherwise be rate limited like a person).
 */
export async function startProject(o: ProjectOptions): Promise<ProcessStack> {
  // process-stack spawns `node` itself: the services inherit this process's affinity while it
  // starts them (and are pinned again by pid, every thread, in case a thread escaped).
  const stack = await withAffinity(o.serverCpus, o.orchestratorCpus, () =>
    startProcessStack({
      gateways: o.gateways,
      port: 0,
      dataDir: o.dataDir,
      distDir: o.distDir,
      log: o.log,
      env: {
        DATABASE_URL: o.databaseUrl,
        REDIS_URL: o.redisUrl,
        REDIS_PREFIX: o.redisPrefix,
        LOG_LEVEL: 'warn',
        REGISTER_MAX_PER_IP_PER_HOUR: '1000000',
        LOGIN_MAX_FAILURES_PER_IP: '1000000',
        LOGIN_MAX_FAILURES_PER_USER: '1000000',
        COMMAND_RATE_PER_SECOND: '1000000',
        HTTP_RATE_PER_MINUTE: '100000000',
        ACCESS_TOKEN_TTL_SECONDS: '7200',
        NODE_OPTIONS: o.nodeOptions,
        BENCH_PROBE_DIR: o.probeDir,
        // bench/probe.ts records a CPU profile per process when set (--profile).
        ...(process.env.BENCH_CPU_PROF_DIR ? { BENCH_CPU_PROF_DIR: process.env.BENCH_CPU_PROF_DIR } : {}),
        ...(process.env.BENCH_PROMOTED_DIR ? { BENCH_PROMOTED_DIR: process.env.BENCH_PROMOTED_DIR } : {}),
        ...o.env,
      },
    }),
  );
  for (const g of stack.gateways) assertLoopback(g.url);
  for (const svc of [stack.auth, stack.media, ...stack.gateways]) pinPid(svc.child.pid!, o.serverCpus);
  return stack;
}

/** The project as it runs now: its gateways are the servers, auth and media the other processes. */
export function projectSystem(stack: ProcessStack): System {
  return {
    name: `project-${stack.gateways.length}`,
    kind: 'project',
    processes: stack.gateways.length,
    urls: stack.gateways.map((g) => g.url),
    servers: stack.gateways.map((g) => ({ pid: g.child.pid!, metricsUrl: `${g.url}/metrics` })),
    otherPids: [stack.auth.child.pid!, stack.media.child.pid!],
    stop: () => stack.stop(),
  };
}

export interface BaselineOptions {
  processes: number;
  redisUrl: string;
  redisPrefix: string;
  nodeOptions: string;
  probeDir: string;
  /** taskset CPU list for the servers (null: unpinned). */
  serverCpus: string | null;
}

/** N bare socket.io processes (bench/baseline-server.ts); the Redis adapter when N > 1. */
export async function startBaseline(o: BaselineOptions): Promise<System> {
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null))
      await new Promise((r) => setTimeout(r, 50));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < o.processes; i++) {
      const child = spawnNode(join(__dirname, '..', 'baseline-server.js'), o.serverCpus, {
        env: {
          ...process.env,
          NODE_ENV: 'production',
          NODE_OPTIONS: o.nodeOptions,
          BENCH_PROBE_DIR: o.probeDir,
          BASELINE_REDIS_URL: o.processes > 1 ? o.redisUrl : '',
          BASELINE_REDIS_PREFIX: o.redisPrefix,
        },
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      children.push(child);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('baseline server did not start in 10 s')), 10_000);
          child.once('message', (m: { port: number }) => {
            clearTimeout(timer);
            resolve(m.port);
          });
          child.once('exit', (code) => reject(new Error(`baseline server exited (${code})`)));
        }),
      );
    }
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    return {
      name: `baseline-${o.processes}`,
      kind: 'baseline',
      processes: o.processes,
      urls,
      servers: children.map((c, i) => ({ pid: c.pid!, metricsUrl: `${urls[i]}/metrics` })),
      otherPids: [],
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface LogSummary {
  /** Lines the service wrote to stderr (warnings and errors at LOG_LEVEL=warn). */
  lines: number;
  /** The first few distinct messages, with how often each came. */
  messages: Record<string, number>;
}

const watched = new Map<number, LogSummary>();

/**
 * Counts what each service process logs while it is being measured: a gateway that warns on every
 * command is a finding (and logging itself costs CPU).
 */
export function watchLogs(stack: ProcessStack): Record<string, LogSummary> {
  for (const svc of [stack.auth, stack.media, ...stack.gateways]) {
    const pid = svc.child.pid;
    if (pid === undefined || watched.has(pid) || !svc.child.stderr) continue;
    const summary: LogSummary = { lines: 0, messages: {} };
    watched.set(pid, summary);
    let partial = '';
    svc.child.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        summary.lines++;
        let msg = line.slice(0, 160);
        try {
          const j = JSON.parse(line) as { msg?: string; err?: { message?: string } };
          msg = `${j.msg ?? ''}${j.err?.message ? `: ${j.err.message}` : ''}`.slice(0, 160);
        } catch {
          /* not JSON */
        }
        if (msg in summary.messages || Object.keys(summary.messages).length < 20)
          summary.messages[msg] = (summary.messages[msg] ?? 0) + 1;
      }
    });
  }
  const out: Record<string, LogSummary> = {};
  for (const svc of [stack.auth, stack.media, ...stack.gateways]) {
    const w = svc.child.pid === undefined ? undefined : watched.get(svc.child.pid);
    if (w) out[svc.name] = w;
  }
  return out;
}
