/**
 * `npm run bench [-- --quick]`: the project (built JS, production mode, 1 and 2 gateways, real
 * Postgres and Redis) against a bare socket.io baseline (1 process; 2 processes with the Redis
 * adapter), same machine, same load generators, one run. Prints one markdown table and writes
 * bench/results/<timestamp>.json. See bench/README.md for the options and JSON keys, and
 * docs/scaling.md for what the figures mean.
 *
 * Trustworthy on 2 cores (issue #15): every server process (gateways, auth, media, baseline) runs
 * under `taskset -c <--server-cpus, default 0>`, the generators and this orchestrator on
 * `--generator-cpus` (default 1); Postgres and Redis are the machine's services and float (both
 * recorded under `pinning`). Without taskset or with one core the run is unpinned and says so.
 * Each system runs `--repeats` times (default 3; --quick 1), baseline and project alternating per
 * process count (b1 p1 b1 p1 b1 p1 b2 p2 …), each repeat on freshly started processes; `summary`
 * has every headline figure's median and spread, `ratios` the project/baseline ratios of the
 * medians, `pairedRatios` the per-repeat pairs' median and range, `targets` the issue's targets.
 *
 * Options: --quick (small and short), --repeats=N, --only=baseline-1,project-1,… (a subset of the
 * systems), --scenarios=memory,fanout,hot,connect,big,notify,capacity,adapters (default memory,fanout,hot;
 * memory includes many rooms and the connect/reconnect of all its clients, `connect` is that
 * alone; `big` broadcasts to one channel of --big-clients sockets (default 10,000, quick 1,000:
 * bench/lib/big-channel.ts); `notify` the cost of deciding who a message notifies in the fan-out
 * channel against the same load on gateways with NOTIFICATIONS_ENABLED=false (project only,
 * bench/lib/notify-cost.ts); capacity and adapters run on stacks of their own, see bench/lib/capacity.ts, with
 * --adapter=classic|sharded|classic,sharded, --gateways, --connections (per gateway), --users,
 * --rate), --server-cpus=0 --generator-cpus=1 --no-pin, --generators=N (load-generator
 * processes, default 2), --pg-reference-us=1000 (the recorded many-rooms Postgres CPU per message
 * the target halves), --no-history (skip the seeded history/search scenario),
 * --history-messages=N (its size: default 1,000,000, quick 100,000), --profile
 * (--cpu-prof for every server process, written next to the results), --perf (`perf record` of
 * every system's servers on CPU time, for bench/perf-summary.ts: see lib/perf-record.ts), --keep-db (leave the
 * database for EXPLAIN afterwards), --budget=<seconds> (the hard time limit of the whole run;
 * default 8 min + 7 min per repeat, --quick 2.5 min + 2.5 min per repeat, +15 min (quick 5) per
 * stack scenario), --heap-snapshots (heap snapshots of every server at 0 and at the most idle
 * connections, for bench/heap-summary.ts; slow), --promoted (a sampling heap profile of what
 * survives the scavenges, per measured window, for bench/promoted-summary.ts; slows the servers).
 * Environment: BENCH_PG_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_DB (default chat_bench).
 * Only ever loads loopback addresses; every phase is bounded and the whole run has a time budget.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { Client } from 'pg';
import { measureFootprint } from './footprint';
import { bigChannel } from './lib/big-channel';
import { notifyCost, type NotifyBlock } from './lib/notify-cost';
import { GeneratorPool } from './lib/generators';
import { pgrep, raiseOpenFileLimit } from './lib/proc';
import { monotonicSeconds, perfAvailable, PERF_NODE_OPTIONS, startPerfRecord } from './lib/perf-record';
import { postgresGroup, redisGroup } from './lib/monitor';
import {
  adaptersFor,
  adaptersScenario,
  ADAPTERS,
  capacityScenario,
  stackFileNeed,
  stackScenarioDefaults,
  type Adapter,
  type StackEnv,
  type StackScenarioOptions,
} from './lib/capacity';
import { affinityOf, parseCpuList, pinPid, planPinning, withAffinity, type PinPlan } from './lib/pinning';
import {
  renderTable,
  evaluateTargets,
  type PinningReport,
  type RunResult,
  type SystemResult,
} from './lib/report';
import {
  closedLoop,
  connectActors,
  disconnectAll,
  fanoutSenders,
  httpLatency,
  memoryPoint,
  openLoop,
  roomSenders,
  sustainableRate,
  type Config,
  type ConnectResult,
  type Ctx,
  type HttpResult,
  type OpenLoopResult,
} from './lib/scenarios';
import {
  baselinePopulation,
  projectPopulation,
  seededMessageId,
  seedHistory,
  type Population,
  type SeedResult,
} from './lib/setup';
import {
  assertLoopback,
  projectSystem,
  startBaseline,
  startProject,
  watchLogs,
  type ProcessStack,
  type ProjectOptions,
  type System,
} from './lib/systems';

const ROOT = resolve(__dirname, '..', '..', '..');

const DEFAULT: Config = {
  mode: 'default',
  generators: 2,
  fanoutClients: 1000,
  // Each socket's commands run one at a time on the server, so the senders must be enough that
  // none of them queues behind itself at the highest rate (240/s ÷ 20 = 12/s each).
  fanoutSenders: 20,
  // Up to where this 2-core machine saturates (the generators alone need ≈ 1 core per 100 msg/s
  // to 1,000 clients), so the ramp finds each system's ceiling instead of ending below it; it
  // stops at a step past `stopAboveMs` (run twice), then refines around the ceiling.
  rates: [10, 20, 40, 60, 80, 100, 120, 140, 160, 200, 240],
  warmMs: 1000,
  stepMs: 4000,
  roomClients: 5000,
  roomSize: 10,
  roomMs: 5000,
  memorySteps: [0, 1000, 5000],
  hotSenders: 16,
  hotWindow: 4,
  hotMs: 5000,
  seedMessages: 1_000_000,
  bigClients: 10_000,
  bigMs: 5000,
  historyRequests: 1000,
  searchRequests: 400,
  warmRequests: 100,
  httpMaxMs: 15_000,
  bodyBytes: 120,
  connectConcurrency: 25,
  stopAboveMs: 250,
  refineSteps: 2,
  settleMs: 1000,
  budgetMs: 15 * 60_000,
};

const QUICK: Config = {
  ...DEFAULT,
  mode: 'quick',
  fanoutClients: 200,
  fanoutSenders: 8,
  rates: [25, 75],
  warmMs: 500,
  stepMs: 2000,
  roomClients: 400,
  roomMs: 2000,
  memorySteps: [0, 400],
  hotSenders: 8,
  hotMs: 2000,
  seedMessages: 100_000,
  bigClients: 1000,
  bigMs: 2000,
  historyRequests: 100,
  searchRequests: 60,
  warmRequests: 20,
  httpMaxMs: 4000,
  settleMs: 400,
  budgetMs: 5 * 60_000,
};

// The project's second gateway joins the running stack (a scale-out, as in production), so the
// baselines go first and the project stack lives through project-1 and project-2.
const SYSTEMS = ['baseline-1', 'baseline-2', 'project-1', 'project-2'] as const;
type SystemName = (typeof SYSTEMS)[number];

const SCENARIOS = ['memory', 'fanout', 'hot', 'connect', 'big', 'notify', 'capacity', 'adapters'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
/**
 * Without --scenarios: `connect` is part of `memory` (its connections); `big`, capacity and
 * adapters are opt-in. `big` costs 10,000 more registrations (argon2) in the set-up and a
 * 10,000-socket connect per system and repeat: several minutes over the default's ≈ 25.
 */
const DEFAULT_SCENARIOS: ScenarioName[] = ['memory', 'fanout', 'hot'];
/** Scenarios on a stack of their own, not the baseline/project comparison (bench/lib/capacity.ts). */
const STACK_SCENARIOS: ScenarioName[] = ['capacity', 'adapters'];
/** What the many-rooms Postgres CPU per message was when the target was set (issue #15: ≈ 1 ms). */
const RECORDED_PG_US_PER_MESSAGE = 1000;

/** The command line (see the header comment), parsed once; a misspelt option stops the run. */
interface Options {
  cfg: Config;
  systems: SystemName[];
  scenarios: ScenarioName[];
  history: boolean;
  profile: boolean;
  perf: boolean;
  keepDb: boolean;
  heapSnapshots: boolean;
  promoted: boolean;
  budgetMs: number;
  repeats: number;
  pin: { serverCpus: string; generatorCpus: string; disabled: boolean };
  pgReferenceUs: number;
  stack: StackScenarioOptions;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      'no-history': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      perf: { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
      budget: { type: 'string' },
      'heap-snapshots': { type: 'boolean', default: false },
      promoted: { type: 'boolean', default: false },
      repeats: { type: 'string' },
      'server-cpus': { type: 'string', default: '0' },
      'generator-cpus': { type: 'string', default: '1' },
      'no-pin': { type: 'boolean', default: false },
      generators: { type: 'string' },
      'pg-reference-us': { type: 'string' },
      adapter: { type: 'string' },
      gateways: { type: 'string' },
      connections: { type: 'string' },
      users: { type: 'string' },
      rate: { type: 'string' },
      'big-clients': { type: 'string' },
      'history-messages': { type: 'string' },
    },
  });
  const cfg = { ...(values.quick ? QUICK : DEFAULT) };
  const int = (raw: string | undefined, name: string, min: number, fallback: number): number => {
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}: ${raw}`);
    return v;
  };
  cfg.generators = int(values.generators, 'generators', 1, cfg.generators);
  cfg.bigClients = int(values['big-clients'], 'big-clients', 2, cfg.bigClients);
  cfg.seedMessages = int(values['history-messages'], 'history-messages', 1000, cfg.seedMessages);
  const list = <T extends string>(raw: string | undefined, known: readonly T[], what: string): T[] | null => {
    if (raw === undefined) return null;
    const names = raw.split(',').filter(Boolean);
    const unknown = names.filter((n) => !(known as readonly string[]).includes(n));
    if (unknown.length) throw new Error(`unknown ${what} ${unknown.join(', ')}; known: ${known.join(', ')}`);
    return names as T[];
  };
  const only = list(values.only, SYSTEMS, 'systems');
  const budgetSeconds = Number(values.budget ?? 0);
  if (!Number.isFinite(budgetSeconds) || budgetSeconds < 0) throw new Error(`--budget: ${values.budget}`);
  const scenarios = list(values.scenarios, SCENARIOS, 'scenarios') ?? DEFAULT_SCENARIOS;
  // --quick is for a look at the machinery: one repeat unless asked for more.
  const repeats = int(values.repeats, 'repeats', 1, values.quick ? 1 : 3);
  const adapters = list(values.adapter, ADAPTERS, 'adapters');
  const stackOpts = stackScenarioDefaults(values.quick);
  const stack: StackScenarioOptions = {
    ...stackOpts,
    adapters: adapters ?? stackOpts.adapters,
    gateways: values.gateways === undefined ? null : int(values.gateways, 'gateways', 2, 0),
    connections: values.connections === undefined ? null : int(values.connections, 'connections', 1, 0),
    users: values.users === undefined ? null : int(values.users, 'users', 1, 0),
    rate: int(values.rate, 'rate', 1, stackOpts.rate),
  };
  const comparison = scenarios.some((s) => !STACK_SCENARIOS.includes(s));
  // The time budget: the set-up, then each repeat of the comparison, then the stack scenarios.
  // `big`: per repeat, up to 4 systems connect bigClients sockets (≈ 11 ms each with the settling,
  // measured at 500 on a busy 2-core machine) around a few seconds of broadcasts; once, their
  // registrations (argon2: ≈ 60 ms each, same measurement).
  const bigRepeatMs = scenarios.includes('big') ? 4 * (30_000 + cfg.bigClients * 15) : 0;
  const bigSetupMs = scenarios.includes('big') ? cfg.bigClients * 80 : 0;
  const perRepeatMs = (values.quick ? 150_000 : 420_000) + bigRepeatMs;
  const stackMs =
    scenarios.filter((s) => STACK_SCENARIOS.includes(s)).length * (values.quick ? 300_000 : 900_000);
  const defaultBudget =
    (comparison
      ? cfg.budgetMs - (values.quick ? 150_000 : 420_000) + bigSetupMs + perRepeatMs * repeats
      : 60_000) + stackMs;
  const pgRef = Number(values['pg-reference-us'] ?? RECORDED_PG_US_PER_MESSAGE);
  if (!Number.isFinite(pgRef) || pgRef <= 0)
    throw new Error(`--pg-reference-us: ${values['pg-reference-us']}`);
  return {
    cfg,
    systems: comparison ? SYSTEMS.filter((s) => !only || only.includes(s)) : [],
    scenarios,
    history: !values['no-history'] && comparison,
    profile: values.profile,
    perf: values.perf,
    keepDb: values['keep-db'],
    heapSnapshots: values['heap-snapshots'],
    promoted: values.promoted,
    budgetMs: budgetSeconds * 1000 || defaultBudget,
    repeats,
    pin: {
      serverCpus: values['server-cpus'],
      generatorCpus: values['generator-cpus'],
      disabled: values['no-pin'],
    },
    pgReferenceUs: pgRef,
    stack,
  };
}

const opts = parseOptions(process.argv.slice(2));
const wanted = (name: ScenarioName) => opts.scenarios.includes(name);

/** With --perf: every log line and its CLOCK_MONOTONIC time, to bound windows of the recordings. */
const perfMarks: { t: number; line: string }[] = [];
const log = (line: string) => {
  if (opts.perf) perfMarks.push({ t: monotonicSeconds(), line });
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);
};

/** Everything started, stopped in reverse order on success, error, budget or Ctrl+C. */
const cleanups: { name: string; run: () => Promise<unknown> }[] = [];
const trackedPids = new Set<number>();
let stopFlag = false;
/** Set by Ctrl+C, SIGTERM or the time budget: the run winds down instead of starting new work. */
const stopRequested = () => stopFlag;
/** --heap-snapshots: where the servers' heap snapshots at 0 and at the most connections go. */
let heapSnapshotDir: string | null = null;
/** Where --perf writes one recording per system and repeat (null: no --perf). */
let perfDir: string | null = null;

async function cleanupAll(): Promise<void> {
  while (cleanups.length) {
    const c = cleanups.pop()!;
    try {
      await Promise.race([c.run(), new Promise((r) => setTimeout(r, 20_000))]);
    } catch (err) {
      log(`cleanup ${c.name} failed: ${(err as Error).message}`);
    }
  }
}

function packageVersion(name: string): string | null {
  try {
    return (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return null;
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Where the run's Postgres and Redis are (loopback only), from the environment. */
function benchEnvironment() {
  const pgAdminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const dbName = process.env.BENCH_DB ?? 'chat_bench';
  for (const u of [pgAdminUrl, redisUrl]) assertLoopback(u.replace(/^(postgres|redis)/, 'http'));
  if (!/^[a-z_][a-z0-9_]*$/.test(dbName)) throw new Error(`BENCH_DB must be a plain identifier: ${dbName}`);
  return { pgAdminUrl, redisUrl, dbName };
}

/** Each server holds up to every client (plus pools); a generator holds its share. */
function ensureFileLimit(cfg: Config): void {
  const stackNeed = STACK_SCENARIOS.some(wanted) ? stackFileNeed(opts.stack, cfg.generators) : 0;
  // The big channel: one server holds all of it (project-1, baseline-1), each generator its share.
  const bigNeed = wanted('big') ? cfg.bigClients : 0;
  const needFds = Math.max(cfg.roomClients, cfg.fanoutClients, stackNeed, bigNeed) + 1024;
  const fds = raiseOpenFileLimit(needFds);
  if (fds.raised) log(`raised the open-file limit to ${fds.soft}`);
  if (fds.soft < needFds) {
    throw new Error(
      `open-file limit ${fds.soft} is below the ${needFds} this run needs and could not be raised ` +
        `(hard limit ${fds.hard}). Raise it for the shell, e.g. \`ulimit -n ${Math.max(needFds, 65536)}\`, and run again.`,
    );
  }
}

/** The run's temp dir, the probe every server loads, and where profiles and heap snapshots go. */
function prepareRunFiles(result: RunResult, stamp: string) {
  const tmp = mkdtempSync(join(tmpdir(), 'chat-bench-'));
  cleanups.push({
    name: 'temp dir',
    run: () => Promise.resolve(rmSync(tmp, { recursive: true, force: true })),
  });
  const probeDir = join(tmp, 'probe');
  mkdirSync(probeDir);
  let nodeOptions = `--require ${join(__dirname, 'probe.js')}`;
  if (opts.heapSnapshots) {
    heapSnapshotDir = join(ROOT, 'bench', 'results', `heap-${stamp}`);
    result.heapSnapshotDir = heapSnapshotDir;
  }
  if (opts.profile) {
    // Read by bench/probe.ts in every server process (children inherit the environment).
    const profDir = join(ROOT, 'bench', 'results', `prof-${stamp}`);
    mkdirSync(profDir, { recursive: true });
    process.env.BENCH_CPU_PROF_DIR = profDir;
    result.profileDir = profDir;
  }
  if (opts.promoted) {
    // Read by bench/probe.ts in every server process, like BENCH_CPU_PROF_DIR.
    const dir = join(ROOT, 'bench', 'results', `promoted-${stamp}`);
    mkdirSync(dir, { recursive: true });
    process.env.BENCH_PROMOTED_DIR = dir;
    result.promotedDir = dir;
  }
  if (opts.perf) {
    const unavailable = perfAvailable();
    if (unavailable) throw new Error(`--perf: ${unavailable}`);
    nodeOptions += ` ${PERF_NODE_OPTIONS}`;
    // Read by bench/probe.ts: keeps V8 from flushing bytecode, whose freed code addresses would
    // otherwise be named after the function that held them first.
    process.env.BENCH_PERF_MAP = '1';
    perfDir = join(ROOT, 'bench', 'results', `perf-${stamp}`);
    mkdirSync(perfDir, { recursive: true });
    result.perfDir = perfDir;
    result.perfMarks = perfMarks;
  }
  return { tmp, probeDir, nodeOptions };
}

/** The run's database, dropped and recreated (and dropped at the end unless --keep-db). */
async function prepareDatabase(pgAdminUrl: string, dbName: string) {
  const admin = new Client({ connectionString: pgAdminUrl });
  admin.on('error', (err) => log(`pg admin: ${err.message}`));
  await admin.connect();
  // Two runs on one database name would drop each other's database mid-run (WITH (FORCE) ends
  // the other run's connections): a session lock per name, held for the run, refuses the second.
  const { rows } = await admin.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_lock(hashtext('chat-bench:' || $1)) AS locked`,
    [dbName],
  );
  if (!rows[0].locked)
    throw new Error(`another benchmark run is using the database ${dbName}: wait for it, or set BENCH_DB`);
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${dbName}`);
  if (!opts.keepDb)
    cleanups.unshift({
      name: 'drop database',
      run: async () => {
        const c = new Client({ connectionString: pgAdminUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).finally(() => c.end());
      },
    });
  // Ended after the drop (clean-ups run last-in first-out): its lock covers the whole run.
  cleanups.unshift({ name: 'pg admin', run: () => admin.end() });
  const serverVersion = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]
    .server_version;
  return { admin, databaseUrl: withDatabase(pgAdminUrl, dbName), serverVersion };
}

/** The run's Redis connection; the run's keys (all under `prefix`) are removed at the end. */
async function prepareRedis(redisUrl: string, prefix: string): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  redis.on('error', (err: Error) => log(`redis: ${err.message}`));
  await redis.connect();
  cleanups.unshift({
    name: 'redis keys',
    run: async () => {
      // Bounded: at most 200 scan rounds.
      let cursor = '0';
      for (let i = 0; i < 200; i++) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length) await redis.unlink(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
      redis.disconnect();
    },
  });
  return redis;
}

function packageVersions(postgres: string, redisInfo: string): Record<string, string | null> {
  const names = [
    'socket.io',
    'socket.io-client',
    '@socket.io/redis-adapter',
    'ioredis',
    'pg',
    '@nestjs/core',
  ];
  return {
    ...Object.fromEntries(names.map((n) => [n, packageVersion(n)])),
    postgres,
    redis: /redis_version:(\S+)/.exec(redisInfo)?.[1] ?? null,
  };
}

/** What every system of the run shares: generators, Postgres, Redis, and how to start the project. */
interface RunShared {
  ctx: Ctx;
  admin: Client;
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  probeDir: string;
  nodeOptions: string;
  dataDir: string;
  size: { fanout: number; rooms: number; roomSize: number; hot: number; big: number };
  /** The project stack lives through project-1 and project-2 (its second gateway joins it). */
  stack: ProcessStack | null;
  projectPop: Population | null;
  pin: PinPlan;
}

async function main(result: RunResult): Promise<void> {
  const { cfg } = opts;
  result.parameters = cfg;
  // `npm start`'s idle footprint, first, on a machine nothing else loads yet.
  if (opts.systems.length)
    (result as RunResult & { footprint?: unknown }).footprint = await measureFootprint(ROOT).catch(
      (err: Error) => ({ error: err.message }),
    );
  const { pgAdminUrl, redisUrl, dbName } = benchEnvironment();
  ensureFileLimit(cfg);
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const files = prepareRunFiles(result, stamp);
  const { admin, databaseUrl, serverVersion } = await prepareDatabase(pgAdminUrl, dbName);
  const redisPrefix = `bench-${stamp}`;
  const redis = await prepareRedis(redisUrl, redisPrefix);
  result.packages = packageVersions(serverVersion, await redis.info('server'));

  const pin = planPinning(opts.pin);
  // The orchestrator is load-side (it schedules, samples and drains): the generators' CPUs.
  if (pin.pinned) pinPid(process.pid, pin.generatorCpus);
  log(
    pin.pinned
      ? `pinned: servers on CPU ${pin.serverCpus}, generators and orchestrator on CPU ${pin.generatorCpus}`
      : `unpinned: ${pin.reason}`,
  );
  if (pin.pinned) generatorCores = parseCpuList(pin.generatorCpus!).length;
  const pool = await GeneratorPool.start(cfg.generators, pin.generatorCpus);
  for (const pid of pool.pids()) trackedPids.add(pid);
  result.pinning = pinningReport(pin, pool.pids(), await postgresGroup(admin, dbName).pids());
  cleanups.push({ name: 'generators', run: () => pool.stop() });
  const monitorDb = new Client({ connectionString: databaseUrl });
  // An idle client's connection ended by the server (a restart, pg_terminate_backend from another
  // user of a shared Postgres) fails the next query, which the scenario records; not the whole run.
  monitorDb.on('error', (err) => log(`pg monitor: ${err.message}`));
  await monitorDb.connect();
  cleanups.push({ name: 'pg monitor', run: () => monitorDb.end() });
  const ctx: Ctx = {
    cfg,
    pool,
    redis,
    probeDir: files.probeDir,
    db: monitorDb,
    log,
    sharedGroups: [
      redisGroup(),
      postgresGroup(monitorDb, dbName),
      { name: 'generators', pids: () => pool.pids() },
      { name: 'orchestrator', pids: () => [process.pid] },
    ],
  };
  result.processes = {
    redis: pgrep(['-x', 'redis-server']),
    generators: pool.pids(),
    orchestrator: process.pid,
  };
  if (
    (opts.systems.some((s) => s.startsWith('project')) || STACK_SCENARIOS.some(wanted)) &&
    !existsSync(join(ROOT, 'dist', 'apps', 'gateway', 'src', 'main.js'))
  )
    throw new Error('the project is not built: run `npm run build:server` first (npm run bench does)');

  const shared: RunShared = {
    ctx,
    admin,
    databaseUrl,
    redisUrl,
    redisPrefix,
    probeDir: files.probeDir,
    nodeOptions: files.nodeOptions,
    dataDir: join(files.tmp, 'stack'),
    size: {
      fanout: wanted('fanout') || wanted('notify') ? cfg.fanoutClients : 0,
      rooms: wanted('memory') || wanted('connect') ? cfg.roomClients : 0,
      roomSize: cfg.roomSize,
      hot: wanted('hot') ? cfg.hotSenders : 0,
      big: wanted('big') ? cfg.bigClients : 0,
    },
    stack: null,
    projectPop: null,
    pin,
  };
  result.repeats = opts.repeats;
  result.reference = { postgresUsPerMessage: opts.pgReferenceUs };
  result.runs = {};
  result.order = [];
  for (const [name, repeat] of runOrder(opts.systems, opts.repeats)) {
    if (stopRequested()) return;
    result.order.push(`${name}#${repeat}`);
    await runSystem(result, shared, name, repeat);
  }
  for (const scenario of STACK_SCENARIOS.filter(wanted)) {
    if (stopRequested()) return;
    await runStackScenario(result, shared, scenario);
  }
}

/**
 * Baseline and project alternate, repeat by repeat, per process count (b1 p1 b1 p1 … b2 p2 …), so
 * a drift in the machine (another tenant, thermal, Postgres housekeeping) lands on both alike.
 */
function runOrder(systems: SystemName[], repeats: number): [SystemName, number][] {
  const out: [SystemName, number][] = [];
  for (const n of ['1', '2'])
    for (let r = 1; r <= repeats; r++)
      for (const kind of ['baseline', 'project'])
        if (systems.includes(`${kind}-${n}` as SystemName)) out.push([`${kind}-${n}` as SystemName, r]);
  return out;
}

function pinningReport(pin: PinPlan, generatorPids: number[], postgresPids: number[]): PinningReport {
  const ext = (pids: number[]) => ({
    pids,
    affinity: pids.map(affinityOf),
    pinned: false as const,
    note: "the machine's service, not started by the bench: left floating on its own CPUs",
  });
  return {
    pinned: pin.pinned,
    reason: pin.reason,
    serverCpus: pin.serverCpus,
    generatorCpus: pin.generatorCpus,
    orchestratorCpus: affinityOf(process.pid),
    external: { redis: ext(pgrep(['-x', 'redis-server'])), postgres: ext(postgresPids) },
    generatorAffinity: Object.fromEntries(generatorPids.map((p) => [p, affinityOf(p)])),
  };
}

/** capacity / adapters: their own project stacks (bench/lib/capacity.ts), after the comparison. */
async function runStackScenario(result: RunResult, shared: RunShared, scenario: ScenarioName): Promise<void> {
  const run = scenario === 'capacity' ? capacityScenario : adaptersScenario;
  const out: Record<string, unknown> = {};
  (result as unknown as Record<string, unknown>)[scenario] = out;
  for (const adapter of adaptersFor(scenario as 'capacity' | 'adapters', opts.stack)) {
    if (stopRequested()) return;
    try {
      out[adapter] = await run(stackEnv(shared), opts.stack, adapter);
    } catch (err) {
      log(`${scenario} (${adapter}) failed: ${(err as Error).stack ?? String(err)}`);
      out[adapter] = { error: (err as Error).message };
      if (!stopRequested()) await disconnectAll(shared.ctx).catch(() => undefined);
    }
  }
}

/** How the run starts a project stack: its database, Redis prefix (per kind of stack), pinning. */
function projectOptions(shared: RunShared, gateways: number, kind: 'project' | 'stack'): ProjectOptions {
  return {
    gateways,
    databaseUrl: shared.databaseUrl,
    redisUrl: shared.redisUrl,
    redisPrefix: `${shared.redisPrefix}-${kind}`,
    dataDir: shared.dataDir,
    distDir: join(ROOT, 'dist'),
    nodeOptions: shared.nodeOptions,
    probeDir: shared.probeDir,
    log: (l) => log(`  ${l}`),
    serverCpus: shared.pin.serverCpus,
    orchestratorCpus: shared.pin.generatorCpus,
  };
}

/** What a stack scenario needs from the run: where things are, pinning, and how to clean up. */
function stackEnv(shared: RunShared): StackEnv {
  return {
    ctx: shared.ctx,
    admin: shared.admin,
    startStack: async (gateways: number, adapter: Adapter) => {
      const stack = await startProject({
        ...projectOptions(shared, gateways, 'stack'),
        // Postgres allows 100 connections by default: 8 gateways with the default pool of 10
        // each, plus auth and media, would take them all (the pools open lazily, but a burst fills them).
        env: {
          SOCKET_ADAPTER: adapter,
          DATABASE_POOL_SIZE: String(Math.max(2, Math.min(10, Math.floor(60 / gateways)))),
        },
      });
      const entry = { name: `stack ${adapter}`, run: () => stack.stop() };
      cleanups.push(entry);
      for (const svc of [stack.auth, stack.media, ...stack.gateways]) trackedPids.add(svc.child.pid!);
      return {
        stack,
        stop: async () => {
          const idx = cleanups.indexOf(entry);
          if (idx >= 0) cleanups.splice(idx, 1);
          await stack.stop();
        },
      };
    },
    redisPrefix: `${shared.redisPrefix}-stack`,
    log,
    stopRequested,
  };
}

/** Starts one system (or adds a gateway to the project's), runs the scenarios on it, records the result. */
async function runSystem(
  result: RunResult,
  shared: RunShared,
  name: SystemName,
  repeat: number,
): Promise<void> {
  const { ctx } = shared;
  const [kind, n] = name.split('-') as ['project' | 'baseline', string];
  const processes = Number(n);
  log(`${name}: starting (repeat ${repeat}/${opts.repeats})`);
  let sys: System | null = null;
  let stopPerf: (() => Promise<void>) | null = null;
  try {
    sys =
      kind === 'baseline'
        ? await startBaselineSystem(shared, name, processes)
        : await projectWith(shared, name, processes);
    if (kind === 'project')
      for (const [svc, logs] of Object.entries(watchLogs(shared.stack!)))
        (result.serviceLogs ??= {})[`${name}#${repeat} ${svc}`] = logs;
    const running = sys;
    if (perfDir) {
      const file = join(perfDir, `${name}-r${repeat}.data`);
      const pids = running.servers.map((s) => s.pid);
      stopPerf = startPerfRecord(pids, file);
      log(`${name}: perf record of pids ${pids.join(',')} into ${file}`);
    }
    for (const s of running.servers) trackedPids.add(s.pid);
    for (const p of running.otherPids) trackedPids.add(p);
    for (const u of running.urls) assertLoopback(u);
    const sr: SystemResult = {
      name,
      kind,
      processes,
      pids: { servers: running.servers.map((s) => s.pid), other: running.otherPids },
      repeat,
      order: result.order!.length,
      affinity: Object.fromEntries(
        [...running.servers.map((s) => s.pid), ...running.otherPids].map((p) => [p, affinityOf(p)]),
      ),
    };
    (result.runs![name] ??= []).push(sr);
    if (repeat === 1) result.systems[name] = sr;
    const population =
      kind === 'project'
        ? await projectPopulationOnce(result, shared, running)
        : baselinePopulation(shared.size);
    // The notify scenario restarts the gateways with notifications off and back (notify-cost.ts).
    const swap =
      kind === 'project'
        ? (enabled: boolean) => swapGateways(result, shared, running, `${name}#${repeat}`, enabled)
        : null;
    await runScenarios(ctx, running, population, sr, result.runs![name][0], swap);
    if (kind === 'project' && opts.history && result.seed && !result.history && population.reader) {
      result.history = await historyScenario(ctx, running, population, shared.databaseUrl, result.seed);
    }
  } catch (err) {
    log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
    const runs = (result.runs![name] ??= []);
    let sr = runs.find((x) => x.repeat === repeat);
    if (!sr) runs.push((sr = { name, kind, processes, pids: { servers: [], other: [] }, repeat }));
    if (repeat === 1) result.systems[name] ??= sr;
    sr.error = (err as Error).message;
    if (!stopRequested()) await disconnectAll(ctx).catch(() => undefined);
  } finally {
    // Every repeat starts from fresh processes, the project's as the baseline's: neither carries
    // a warmed-up heap or JIT into the next repeat. The population and its tokens stay.
    await stopPerf?.();
    if (sys) {
      log(`${name}: stopping`);
      const idx = cleanups.findIndex((c) => c.name === name);
      if (idx >= 0) cleanups.splice(idx, 1);
      await sys.stop().catch((err: unknown) => log(`${name} stop: ${(err as Error).message}`));
      if (kind === 'project') shared.stack = null;
    }
  }
}

async function startBaselineSystem(shared: RunShared, name: SystemName, processes: number): Promise<System> {
  const sys = await startBaseline({
    processes,
    redisUrl: shared.redisUrl,
    redisPrefix: `${shared.redisPrefix}-${name}`,
    nodeOptions: shared.nodeOptions,
    probeDir: shared.probeDir,
    serverCpus: shared.pin.serverCpus,
  });
  cleanups.push({ name, run: () => sys.stop() });
  return sys;
}

/** A fresh project stack with `gateways` gateways (the database, its users and their tokens stay). */
async function projectWith(shared: RunShared, name: SystemName, gateways: number): Promise<System> {
  if (!shared.stack) {
    const started = await startProject(projectOptions(shared, gateways, 'project'));
    shared.stack = started;
    cleanups.push({ name, run: () => started.stop() });
  }
  while (shared.stack.gateways.length < gateways) await shared.stack.addGateway();
  return projectSystem(shared.stack);
}

/** The project's users and channels, registered once through the API (and the history seeded). */
async function projectPopulationOnce(
  result: RunResult,
  shared: RunShared,
  running: System,
): Promise<Population> {
  if (shared.projectPop) return shared.projectPop;
  const { cfg } = opts;
  const { size, databaseUrl } = shared;
  const t0 = performance.now();
  const users = size.fanout + size.rooms + size.hot + size.big + 1;
  log(`registering ${users} users through POST /auth/register`);
  const seed = async (reader: { id: string }, channelId: string) => {
    if (!opts.history) return;
    log(`seeding ${cfg.seedMessages.toLocaleString('en')} messages (alongside the registrations)`);
    const s = await seedHistory(databaseUrl, channelId, reader.id, cfg.seedMessages);
    result.seed = { messages: cfg.seedMessages, ...s };
    log(`seeded in ${s.seconds.toFixed(1)} s (index ${s.indexSeconds.toFixed(1)} s)`);
  };
  shared.projectPop = await projectPopulation(
    shared.stack!.auth.url,
    running.urls[0],
    size,
    `b${Date.now().toString(36).slice(-5)}`,
    log,
    seed,
  );
  // The set-up's writes (the seed, thousands of registrations) would otherwise be flushed by a
  // checkpoint during the measured scenarios, where its fsyncs hold up commits for up to
  // ≈ 40 ms (measured with pgbench during a CHECKPOINT on this machine): set-up, not load.
  await shared.admin
    .query('CHECKPOINT')
    .catch((err: Error) => log(`no CHECKPOINT after the set-up (${err.message}): expect noisier tails`));
  result.setup = {
    users,
    seconds: (performance.now() - t0) / 1000,
  };
  log(`set-up done in ${result.setup.seconds.toFixed(1)} s`);
  return shared.projectPop;
}

async function runScenarios(
  ctx: Ctx,
  sys: System,
  pop: Population,
  sr: SystemResult,
  first: SystemResult,
  swap: ((enabled: boolean) => Promise<System>) | null,
): Promise<void> {
  if (wanted('memory')) await memoryAndRooms(ctx, sys, pop, sr);
  else if (wanted('connect')) await connectScenario(ctx, sys, pop, sr);
  if (wanted('fanout')) await fanoutScenario(ctx, sys, pop, sr, first === sr ? null : first);
  if (wanted('hot')) await hotScenario(ctx, sys, pop, sr);
  if (wanted('big')) await bigScenario(ctx, sys, pop, sr);
  if (wanted('notify') && swap) await notifyScenario(ctx, sys, pop, sr, swap);
}

/**
 * The cost of deciding who a message notifies (issue #17) in the fan-out channel
 * (bench/lib/notify-cost.ts): the same load with notifications off (gateways restarted with
 * NOTIFICATIONS_ENABLED=false), then defaults, 50 members at `all`, every 10th message `@channel`
 * on gateways with them on, at one rate (20/s, quick 25/s: a step of the fan-out ramp, so a run
 * with `fanout` compares too; well below a 2-core machine's fan-out ceiling, so CPU per message is
 * not a backlog's). The on and off blocks alternate which goes first, repeat by repeat. Each
 * window is two fan-out steps long: the figures are ratios of a few percent.
 * Project only: the baseline has no notifications.
 */
async function notifyScenario(
  ctx: Ctx,
  sys: System,
  pop: Population,
  sr: SystemResult,
  swap: (enabled: boolean) => Promise<System>,
): Promise<void> {
  const { cfg } = ctx;
  const rate = cfg.rates.includes(20) ? 20 : cfg.rates[0];
  const order: NotifyBlock[] = (sr.repeat ?? 1) % 2 ? ['on', 'off'] : ['off', 'on'];
  log(`${sys.name}: notify cost, ${pop.fanout.length} members at ${rate}/s, blocks ${order.join(' then ')}`);
  const out = await notifyCost(ctx, sys, pop, {
    rate,
    warmMs: cfg.warmMs,
    durationMs: 2 * cfg.stepMs,
    senders: cfg.fanoutSenders,
    order,
    setNotifications: swap,
    fanoutSteps: sr.fanout?.steps,
  });
  sr.notify = out;
  for (const [name, p] of Object.entries(out.phases))
    log(
      `${sys.name}: notify ${name}: server CPU ${p.serverCpuUsPerMessage.toFixed(0)} µs/msg ` +
        `(${p.serverCpu.toFixed(2)} cores), postgres ${p.postgresCpuUsPerMessage?.toFixed(0) ?? '?'} µs/msg, ` +
        `p50 ${p.latencyP50Ms.toFixed(1)} p99 ${p.latencyP99Ms.toFixed(1)} ms, delivery ${p.deliveryRatio.toFixed(4)}, ` +
        `notifications seen ${p.notificationsSeen}` +
        (p.restErrors ? `, REST errors ${p.restErrors}` : '') +
        (Object.keys(p.errors).length ? `, errors ${JSON.stringify(p.errors)}` : ''),
    );
  const r = (x: { serverCpuPerMessage: number; latencyP99: number }) =>
    `CPU/msg ×${x.serverCpuPerMessage.toFixed(3)}, p99 ×${x.latencyP99.toFixed(3)}`;
  log(
    `${sys.name}: notify ratios vs off: defaults ${r(out.vsOff.defaults)}; all50 ${r(out.vsOff.all50)}; ` +
      `channelEvery10 ${r(out.vsOff.channelEvery10)}; off check: ${out.offCheck.notificationsSeen} notifications`,
  );
  log(
    `${sys.name}: notify ratios vs defaults: all50 ${r(out.ratios.all50)}; channelEvery10 ${r(out.ratios.channelEvery10)}` +
      (out.defaultsOverFanout
        ? `; defaults vs the fan-out step at ${rate}/s: ${r(out.defaultsOverFanout)}`
        : ''),
  );
}

/**
 * Replaces the project's running gateways with as many fresh ones started with
 * NOTIFICATIONS_ENABLED=`enabled` (auth, media, the database and Redis stay), pinned like the
 * first. `sys` is updated in place, so what runs on it afterwards (the history scenario, the stop)
 * finds the live gateways. No client may be connected: the old gateways are stopped first, so
 * two never share the servers' CPU or the Redis adapter's traffic.
 */
async function swapGateways(
  result: RunResult,
  shared: RunShared,
  sys: System,
  /** `project-1#2`: where the new gateways' logs go in `serviceLogs`. */
  label: string,
  enabled: boolean,
): Promise<System> {
  const stack = shared.stack;
  if (!stack) throw new Error('swapGateways: no project stack');
  const old = stack.gateways.filter((g) => sys.servers.some((s) => s.pid === g.child.pid));
  for (const g of old) g.kill('SIGTERM');
  await Promise.all(old.map((g) => g.exited));
  for (const g of old) stack.gateways.splice(stack.gateways.indexOf(g), 1);
  // process-stack launches every service with its `env` object as it is at that moment (the one
  // it returns as stack.env): the switch is set on it for these launches only.
  const before = stack.env.NOTIFICATIONS_ENABLED;
  stack.env.NOTIFICATIONS_ENABLED = String(enabled);
  const fresh: ProcessStack['gateways'] = [];
  try {
    await withAffinity(shared.pin.serverCpus, shared.pin.generatorCpus, async () => {
      for (let i = 0; i < old.length; i++) fresh.push(await stack.addGateway());
    });
  } finally {
    if (before === undefined) delete stack.env.NOTIFICATIONS_ENABLED;
    else stack.env.NOTIFICATIONS_ENABLED = before;
  }
  for (const g of fresh) {
    pinPid(g.child.pid!, shared.pin.serverCpus);
    trackedPids.add(g.child.pid!);
  }
  for (const [svc, logs] of Object.entries(watchLogs(stack)))
    (result.serviceLogs ??= {})[`${label} ${svc}`] = logs;
  sys.urls.splice(0, sys.urls.length, ...fresh.map((g) => g.url));
  sys.servers.splice(
    0,
    sys.servers.length,
    ...fresh.map((g) => ({ pid: g.child.pid!, metricsUrl: `${g.url}/metrics` })),
  );
  return sys;
}

/**
 * One channel of `bigClients` sockets, 2 broadcasts a second (bench/lib/big-channel.ts): the
 * servers' worst event-loop delay while they write them (the gateway slices a broadcast larger
 * than SOCKET_BROADCAST_SLICE, default 500 sockets, across loop turns; the baseline writes it in
 * one loop).
 */
async function bigScenario(ctx: Ctx, sys: System, pop: Population, sr: SystemResult): Promise<void> {
  log(`${sys.name}: big channel, ${pop.big.length} sockets`);
  sr.big = await bigChannel(ctx, sys, pop.big, pop.channels.big, {
    warmMs: ctx.cfg.warmMs,
    durationMs: ctx.cfg.bigMs,
  });
  const b = sr.big;
  log(
    `${sys.name}: big channel: ${b.connected}/${b.clients} connected in ${b.connectSeconds.toFixed(1)} s, ` +
      `max event-loop block ${b.maxLoopBlockMs.toFixed(1)} ms (p99 ${b.loopDelayP99Ms.toFixed(1)}), ` +
      `server CPU ${b.serverCpu.toFixed(2)}, delivery ${b.deliveryRatio.toFixed(4)}, ` +
      `e2e p50 ${b.latencyP50Ms.toFixed(1)} max ${b.latencyMaxMs.toFixed(0)} ms`,
  );
}

/** The many-rooms population's sockets: room g holds clients g·roomSize … */
function roomSpecsOf(ctx: Ctx, pop: Population) {
  return pop.rooms.map((actor, i) => ({
    actor,
    channelId: pop.channels.rooms[Math.floor(i / ctx.cfg.roomSize)],
  }));
}

/**
 * Every many-rooms client drops and comes back at once (a network blip, a load balancer restart):
 * how long until all are connected again.
 */
async function massReconnect(ctx: Ctx, sys: System, pop: Population, sr: SystemResult): Promise<void> {
  await disconnectAll(ctx);
  const again = await connectActors(ctx, sys, roomSpecsOf(ctx, pop));
  if (sr.connectMany) sr.connectMany.reconnect = again.result;
  log(
    `${sys.name}: ${again.result.connected}/${pop.rooms.length} reconnected at once in ${again.result.seconds.toFixed(1)} s` +
      (again.result.failed ? ` (${JSON.stringify(again.result.errors)})` : ''),
  );
  await disconnectAll(ctx);
}

/** --scenarios=connect (without memory): the many-rooms clients connect in one go, then reconnect at once. */
async function connectScenario(ctx: Ctx, sys: System, pop: Population, sr: SystemResult): Promise<void> {
  log(`${sys.name}: connect ${pop.rooms.length} clients`);
  const { result } = await connectActors(ctx, sys, roomSpecsOf(ctx, pop));
  sr.connectMany = { clients: pop.rooms.length, connect: result };
  log(`${sys.name}: ${result.connected}/${pop.rooms.length} connected in ${result.seconds.toFixed(1)} s`);
  await massReconnect(ctx, sys, pop, sr);
}

/** Memory at growing numbers of idle connections, then many rooms on the same connections. */
async function memoryAndRooms(ctx: Ctx, sys: System, pop: Population, sr: SystemResult): Promise<void> {
  const { cfg } = ctx;
  log(`${sys.name}: memory at 0 connections`);
  const snapshotDir = heapSnapshotDir ?? undefined;
  const points = [await memoryPoint(ctx, sys, 0, snapshotDir)];
  const roomSpecs = roomSpecsOf(ctx, pop);
  const placements: Awaited<ReturnType<typeof connectActors>>['placements'] = [];
  const connects: ConnectResult[] = [];
  for (const n of cfg.memorySteps.filter((s) => s > 0)) {
    const { placements: p, result } = await connectActors(ctx, sys, roomSpecs.slice(placements.length, n));
    placements.push(...p);
    connects.push(result);
    log(
      `${sys.name}: ${result.connected}/${n - (placements.length - p.length)} connected in ${result.seconds.toFixed(1)} s` +
        (result.failed ? ` (${JSON.stringify(result.errors)})` : ''),
    );
    const last = n === cfg.memorySteps[cfg.memorySteps.length - 1];
    points.push(await memoryPoint(ctx, sys, n, last ? snapshotDir : undefined));
  }
  sr.memory = { points, connects };
  // Connecting every client, step by step: the steps' connect times add up (the settling and the
  // memory figures between them are not counted).
  const sum = (k: 'clients' | 'connected' | 'failed' | 'seconds' | 'presenceEvents') =>
    connects.reduce((a, c) => a + c[k], 0);
  const errors: Record<string, number> = {};
  for (const c of connects) for (const [k, v] of Object.entries(c.errors)) errors[k] = (errors[k] ?? 0) + v;
  sr.connectMany = {
    clients: placements.length,
    connect: {
      clients: sum('clients'),
      connected: sum('connected'),
      failed: sum('failed'),
      errors,
      seconds: sum('seconds'),
      presenceEvents: sum('presenceEvents'),
    },
  };

  log(`${sys.name}: many rooms (${pop.channels.rooms.length} channels of ${cfg.roomSize}, 1 msg/s each)`);
  sr.manyRooms = await openLoop(
    ctx,
    sys,
    roomSenders(pop, placements, cfg.roomSize, ctx.pool.size),
    pop.channels.rooms.length,
    cfg.roomSize,
    cfg.warmMs,
    cfg.roomMs,
  );
  logStep(sys, 'many rooms', sr.manyRooms);
  await massReconnect(ctx, sys, pop, sr);
}

/**
 * The fan-out ramp. `first` (repeat 1 of this system, on later repeats): the ramp starts at the
 * highest rate at or below half of that repeat's sustainable rate: the steps below it only warm up,
 * and the half-rate step (the ack target) is still measured; this keeps three repeats in budget.
 */
async function fanoutScenario(
  ctx: Ctx,
  sys: System,
  pop: Population,
  sr: SystemResult,
  first: SystemResult | null,
): Promise<void> {
  const { cfg } = ctx;
  log(`${sys.name}: fan-out, ${cfg.fanoutClients} clients in one channel`);
  const fan = await connectActors(
    ctx,
    sys,
    pop.fanout.map((actor) => ({ actor, channelId: pop.channels.fanout })),
  );
  log(
    `${sys.name}: ${fan.result.connected}/${cfg.fanoutClients} connected in ${fan.result.seconds.toFixed(1)} s, ` +
      `${fan.result.presenceEvents} presence events`,
  );
  const senders = fanoutSenders(pop, fan.placements, cfg.fanoutSenders, ctx.pool.size);
  // Unmeasured: JIT, pools and caches warm up at the lowest rate before the ramp.
  await openLoop(ctx, sys, senders, cfg.rates[0], fan.result.connected, 0, cfg.warmMs * 2);
  const steps: OpenLoopResult[] = [];
  const needAll = sys.kind === 'project';
  const step = async (rate: number) => {
    const result = await openLoop(ctx, sys, senders, rate, fan.result.connected, cfg.warmMs, cfg.stepMs);
    steps.push(result);
    logStep(sys, `fan-out ${rate}/s`, result);
    return result;
  };
  const saturated = (x: OpenLoopResult) => x.latency.p99 > cfg.stopAboveMs || x.deliveryRatio < 0.9;
  const repeated: OpenLoopResult[] = [];
  const half = (first?.fanout?.sustainableRate ?? 0) / 2;
  const from = Math.max(0, ...cfg.rates.filter((r) => r <= half));
  for (const rate of cfg.rates.filter((r) => r >= from)) {
    let result = await step(rate);
    if (saturated(result)) {
      // Once, a stall of a few hundred ms that neither CPU nor the event loop explains (seen in
      // the baseline too) ended a ramp far below the ceiling: a step past the limit runs again,
      // and only a second one ends the ramp. JSON keeps the first (`fanout.repeated`).
      repeated.push(...steps.splice(steps.indexOf(result), 1));
      log(`${sys.name}: ${rate}/s past ${cfg.stopAboveMs} ms, running it again`);
      result = await step(rate);
    }
    if (saturated(result)) {
      log(`${sys.name}: saturated at ${rate}/s, not stepping higher`);
      break;
    }
  }
  // The ramp's steps are 15–25 % apart near the top, too coarse to tell 0.9× from 0.8× of the
  // baseline: halve the interval between the highest passing rate and the next failing one.
  for (let i = 0; i < cfg.refineSteps; i++) {
    const lo = sustainableRate(steps, 100, needAll);
    const hi = Math.min(...steps.filter((x) => x.rate > lo).map((x) => x.rate));
    const mid = Math.round((lo + hi) / 2 / 5) * 5;
    if (!Number.isFinite(hi) || mid <= lo || mid >= hi) break;
    await step(mid);
  }
  steps.sort((a, b) => a.rate - b.rate);
  sr.fanout = {
    clients: cfg.fanoutClients,
    connect: fan.result,
    steps,
    repeated,
    sustainableRate: sustainableRate(steps, 100, needAll),
    generatorBoundFrom: steps.find(generatorBound)?.rate ?? null,
  };
  await disconnectAll(ctx);
  // A mass reconnect (a network blip): every client of the channel comes back at once.
  const again = await connectActors(
    ctx,
    sys,
    pop.fanout.map((actor) => ({ actor, channelId: pop.channels.fanout })),
  );
  sr.fanout.reconnect = again.result;
  log(
    `${sys.name}: ${again.result.connected}/${cfg.fanoutClients} reconnected in ${again.result.seconds.toFixed(1)} s, ` +
      `${again.result.presenceEvents} presence events`,
  );
  await disconnectAll(ctx);
}

async function hotScenario(ctx: Ctx, sys: System, pop: Population, sr: SystemResult): Promise<void> {
  const { cfg } = ctx;
  log(`${sys.name}: hot channel, ${cfg.hotSenders} senders × ${cfg.hotWindow} in flight`);
  const hot = await connectActors(
    ctx,
    sys,
    pop.hot.map((actor) => ({ actor, channelId: pop.channels.hot })),
  );
  const before = sys.kind === 'project' ? await seqCheck(ctx, [pop.channels.hot]) : null;
  const run = await closedLoop(
    ctx,
    sys,
    hot.placements.map((at) => ({ at, channelId: pop.channels.hot })),
    cfg.hotWindow,
    cfg.hotMs,
  );
  await disconnectAll(ctx);
  sr.hot = { ...run, seqs: null };
  if (sys.kind === 'project') {
    const after = await seqCheck(ctx, [pop.channels.hot]);
    sr.hot.seqs = { ...after, persistedInRun: after.messages - (before?.messages ?? 0) };
    sr.seqs = await seqCheck(
      ctx,
      [pop.channels.fanout, pop.channels.hot, ...pop.channels.rooms].filter(Boolean),
    );
  }
  log(
    `${sys.name}: hot channel ${run.ackedPerSecond.toFixed(0)} acked/s, ack p99 ${run.ack.p99.toFixed(1)} ms` +
      (sr.hot.seqs ? `, gap-free ${sr.hot.seqs.gapFree}` : '') +
      (Object.keys(run.errors).length ? `, errors ${JSON.stringify(run.errors)}` : ''),
  );
}

/** Cores the generators (and the orchestrator) may use: theirs when pinned, all otherwise. */
let generatorCores = cpus().length;

/**
 * A step where the load side ran out of CPU (its cores ≥ 90 % busy, or a generator's event loop
 * ≥ 95 %): its latency is the generators' as much as the servers', so a ceiling found there may be
 * the generators' (on 2 cores, the generators get one).
 */
function generatorBound(s: OpenLoopResult): boolean {
  const load = (s.cpu.generators ?? 0) + (s.cpu.orchestrator ?? 0);
  return load >= 0.9 * generatorCores || s.generatorLoops.some((g) => g.utilization >= 0.95);
}

function logStep(sys: System, what: string, s: OpenLoopResult): void {
  const cpu = Object.entries(s.cpu)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(', ');
  log(
    `${sys.name}: ${what}: p50 ${s.latency.p50.toFixed(1)} p99 ${s.latency.p99.toFixed(1)} max ${s.latency.max.toFixed(0)} ms, ` +
      `delivery ${s.deliveryRatio.toFixed(4)}, ${s.deliveredPerSecond.toFixed(0)}/s, ack p99 ${s.ack.p99.toFixed(1)} ms` +
      (generatorBound(s) ? ' [generator-bound]' : '') +
      (Object.keys(s.errors).length ? `, errors ${JSON.stringify(s.errors)}` : '') +
      ` | cpu ${cpu}`,
  );
}

/** Gap-free seqs: in every channel, the rows are exactly 1..last_seq. */
async function seqCheck(ctx: Ctx, channelIds: string[]) {
  const { rows } = await ctx.db!.query<{
    id: string;
    last_seq: string;
    n: string;
    lo: string | null;
    hi: string | null;
  }>(
    `SELECT c.id, c.last_seq, count(m.seq) AS n, min(m.seq) AS lo, max(m.seq) AS hi
       FROM channels c LEFT JOIN messages m ON m.channel_id = c.id
      WHERE c.id = ANY($1::uuid[]) GROUP BY c.id, c.last_seq`,
    [channelIds],
  );
  const problems = rows
    .filter((r) => {
      const n = Number(r.n);
      return n !== Number(r.last_seq) || (n > 0 && (Number(r.lo) !== 1 || Number(r.hi) !== n));
    })
    .map((r) => ({ channelId: r.id, lastSeq: Number(r.last_seq), rows: Number(r.n), min: r.lo, max: r.hi }));
  return {
    channels: rows.length,
    messages: rows.reduce((a, r) => a + Number(r.n), 0),
    gapFree: problems.length === 0,
    problems: problems.slice(0, 10),
  };
}

async function historyScenario(
  ctx: Ctx,
  sys: System,
  pop: Population,
  databaseUrl: string,
  seed: SeedResult,
) {
  const { cfg } = ctx;
  const reader = pop.reader!;
  const channel = pop.channels.history!;
  const base = sys.urls[0];
  const n = cfg.seedMessages;
  const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  const req = (path: string) => ({ url: `${base}${path}`, token: reader.token });
  log(`${sys.name}: history and search over ${n.toLocaleString('en')} messages`);
  // Unmeasured, like the fan-out's first step: the gateway's JIT and the newest pages' buffers warm
  // up, so the first measured requests do not stand for a cold start.
  await httpLatency(ctx, [
    ...Array.from({ length: cfg.warmRequests }, () => req(`/channels/${channel}/messages`)),
    ...Array.from({ length: cfg.warmRequests }, () => req(`/search?q=w${rand(0, 1999)}`)),
  ]);
  // A word drawn uniformly from the 2,000-word vocabulary (most are rare); w0–w2 are the commonest.
  const out = {
    messages: n,
    newestPage: await httpLatency(
      ctx,
      Array.from({ length: Math.ceil(cfg.historyRequests / 2) }, () => req(`/channels/${channel}/messages`)),
    ),
    deepPage: await httpLatency(
      ctx,
      Array.from({ length: Math.ceil(cfg.historyRequests / 2) }, () =>
        req(`/channels/${channel}/messages?before=${rand(52, n)}&limit=50`),
      ),
    ),
    search: await httpLatency(
      ctx,
      Array.from({ length: cfg.searchRequests }, () => req(`/search?q=w${rand(0, 1999)}`)),
    ),
    searchCommon: await httpLatency(
      ctx,
      Array.from({ length: Math.ceil(cfg.searchRequests / 4) }, () => req(`/search?q=w${rand(0, 2)}`)),
    ),
    filtered: await filteredSearches(ctx, req, channel, n, seed),
    explain: await explainQueries(databaseUrl, channel, reader.id, n),
  };
  for (const [k, v] of [
    ['history newest page', out.newestPage],
    ['history deep page', out.deepPage],
    ['search', out.search],
    ['search commonest words', out.searchCommon],
    ...Object.entries(out.filtered).map(([k, v]) => [`search ${k}`, v] as const),
  ] as const)
    log(
      `${sys.name}: ${k}: p50 ${v.latency.p50.toFixed(1)} p99 ${v.latency.p99.toFixed(1)} ms ${JSON.stringify(v.statuses)}`,
    );
  return out;
}

/**
 * GET /search with each filter (issue #16) and combinations over the seeded history (see
 * seedHistory: authors of 1 in 10 and 1 in 1,000 messages, threads of 10 replies under every
 * 100th message and a long one, a file on 1 message in 100). Each kind gets a quarter of
 * `searchRequests`, drawn at random; times are the seeded rows' (seq s was created n − s seconds
 * before seq n), so `after`/`before` cut the history at a random seq.
 */
async function filteredSearches(
  ctx: Ctx,
  req: (path: string) => { url: string; token: string },
  channel: string,
  n: number,
  seed: SeedResult,
): Promise<Record<string, HttpResult>> {
  const rand = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo + 1));
  const newest = Date.parse(seed.newestAt);
  // ISO-8601 to the second (the API wants a strict time): seq s's creation time.
  const at = (seq: number) => new Date(newest - (n - seq) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const word = () => `w${rand(0, 1999)}`;
  const root = () => seededMessageId(channel, 100 * rand(1, Math.max(1, seed.threadRoots)));
  const kinds: Record<string, () => string> = {
    'q+from': () => `q=${word()}&from=${seed.authors.other}`,
    'q+fromRare': () => `q=${word()}&from=${seed.authors.rare}`,
    'q+after': () => `q=${word()}&after=${at(rand(1, n))}`,
    'q+before': () => `q=${word()}&before=${at(rand(1, n))}`,
    'q+after+before': () => {
      const lo = rand(1, n);
      return `q=${word()}&after=${at(lo)}&before=${at(Math.min(n, lo + rand(3600, 7 * 86_400)))}`;
    },
    from: () => `from=${seed.authors.other}`,
    fromRare: () => `from=${seed.authors.rare}`,
    'from+after': () => `from=${seed.authors.other}&after=${at(rand(1, n))}`,
    'has=file': () => 'has=file',
    'q+has=file': () => `q=${word()}&has=file`,
    threadId: () => `threadId=${root()}`,
    'q+threadId': () => `q=${word()}&threadId=${root()}`,
    'threadId(long)': () => `threadId=${seed.longThread.id}`,
    'q+channelId+from+after': () =>
      `q=${word()}&channelId=${channel}&from=${seed.authors.other}&after=${at(rand(1, n))}`,
  };
  const count = Math.max(10, Math.ceil(ctx.cfg.searchRequests / 4));
  // Unmeasured: a few of each kind first (plans, JIT, buffers), like the plain search's warm-up.
  await httpLatency(
    ctx,
    Object.values(kinds).flatMap((k) =>
      Array.from({ length: Math.ceil(ctx.cfg.warmRequests / 10) }, () => req(`/search?${k()}`)),
    ),
  );
  const out: Record<string, HttpResult> = {};
  for (const [name, make] of Object.entries(kinds))
    out[name] = await httpLatency(
      ctx,
      Array.from({ length: count }, () => req(`/search?${make()}`)),
    );
  return out;
}

/**
 * EXPLAIN ANALYZE of the queries behind the history page and search (the SQL of
 * apps/gateway/src/messages/message.reader.ts, copied: it may drift from it), for the diagnosis.
 */
async function explainQueries(databaseUrl: string, channelId: string, userId: string, n: number) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const select = `SELECT m.id, m.channel_id, m.seq, m.author_id, u.username AS author_username, m.body, m.client_id,
         m.created_at, m.edited_at, m.deleted_at FROM messages m JOIN users u ON u.id = m.author_id`;
  const plans: Record<string, string[]> = {};
  // The reader's search is given the caller's channels as values (see MessageReader.search).
  const channels = (
    await db.query<{ channel_id: string }>('SELECT channel_id FROM memberships WHERE user_id = $1', [userId])
  ).rows.map((r) => r.channel_id);
  const search = `${select} WHERE m.search @@ websearch_to_tsquery('simple', $1) AND m.deleted_at IS NULL
         AND m.channel_id = ANY($2::uuid[]) ORDER BY m.created_at DESC, m.seq DESC LIMIT 50`;
  const queries: Record<string, [string, unknown[]]> = {
    deepPage: [
      `${select} WHERE m.channel_id = $1 AND m.seq < $2 ORDER BY m.seq DESC LIMIT 51`,
      [channelId, Math.floor(n / 2)],
    ],
    searchRare: [search, ['w1500', channels]],
    searchMid: [search, ['w100', channels]],
    searchCommon: [search, ['w0', channels]],
  };
  try {
    for (const [name, [sql, params]] of Object.entries(queries)) {
      const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
      plans[name] = rows.map((r) => r['QUERY PLAN']);
    }
  } finally {
    await db.end();
  }
  return plans;
}

async function entry(): Promise<void> {
  const startedAt = new Date().toISOString();
  const result: RunResult = {
    startedAt,
    finishedAt: null,
    machine: {
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryBytes: totalmem(),
      node: process.version,
      kernel: release(),
      loadAverageAtStart: loadavg(),
      loadAverageAtEnd: null,
    },
    packages: {},
    parameters: null,
    systems: {},
  };
  const { budgetMs } = opts;
  let interrupted: string | null = null;
  const finish = async (code: number) => {
    result.finishedAt = new Date().toISOString();
    result.machine.loadAverageAtEnd = loadavg();
    if (interrupted) result.aborted = interrupted;
    await cleanupAll();
    try {
      result.targets = evaluateTargets(result);
      const table = renderTable(result);
      const dir = join(ROOT, 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `${startedAt.replace(/[:.]/g, '-')}.json`);
      writeFileSync(file, JSON.stringify(result, null, 2));
      console.log(table);
      console.log(`\nJSON: ${file}`);
    } catch (err) {
      console.error('could not write the results:', err);
    }
    process.exit(code);
  };
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      for (const pid of trackedPids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      process.exit(130);
    }
    stopping = true;
    stopFlag = true;
    interrupted = `interrupted by ${signal}`;
    log(`${signal}: stopping everything (again to force)`);
    void finish(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever goes wrong, everything started is stopped; while stopping, the run's own work fails
  // as its processes go away, which is expected.
  const onCrash = (err: unknown) => {
    if (stopping) return log(`(while stopping) ${(err as Error)?.message ?? String(err)}`);
    stopping = true;
    stopFlag = true;
    log(`crashed: ${(err as Error)?.stack ?? String(err)}`);
    result.error = (err as Error)?.message ?? String(err);
    void finish(1);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', () => {
    for (const pid of trackedPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  const budget = setTimeout(() => {
    if (stopping) return;
    stopping = true;
    stopFlag = true;
    interrupted = `time budget of ${budgetMs / 1000} s exceeded`;
    log(interrupted);
    void finish(3);
  }, budgetMs);
  try {
    await main(result);
    clearTimeout(budget);
    if (!stopping) {
      stopping = true;
      await finish(0);
    }
  } catch (err) {
    clearTimeout(budget);
    log(`failed: ${(err as Error).stack ?? String(err)}`);
    result.error = (err as Error).message;
    if (!stopping) {
      stopping = true;
      await finish(1);
    }
  }
}

void entry();
