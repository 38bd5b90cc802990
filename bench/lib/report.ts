import type { BigChannelResult } from './big-channel';
import type { adaptersScenario, capacityScenario } from './capacity';
import type { Summary } from './histogram';
import type { NotifyCostResult, NotifyPhaseName } from './notify-cost';
import type { SeedResult } from './setup';
import type { ServerGc } from './monitor';
import type {
  ClosedLoopResult,
  Config,
  ConnectResult,
  HttpResult,
  MemoryPoint,
  OpenLoopResult,
} from './scenarios';

export interface SeqCheck {
  channels: number;
  messages: number;
  gapFree: boolean;
  problems: unknown[];
}

export interface SystemResult {
  name: string;
  kind: 'project' | 'baseline';
  processes: number;
  pids: { servers: number[]; other: number[] };
  error?: string;
  memory?: { points: MemoryPoint[]; connects: ConnectResult[] };
  manyRooms?: OpenLoopResult;
  fanout?: {
    clients: number;
    connect: ConnectResult;
    steps: OpenLoopResult[];
    /** Ramp steps past `stopAboveMs` that were run again (the repeat is in `steps`). */
    repeated?: OpenLoopResult[];
    sustainableRate: number;
    /** Every client again right after they all disconnected (a mass reconnect). */
    reconnect?: ConnectResult;
    /** The lowest step where the load side's CPU was exhausted (see run.ts generatorBound), or null. */
    generatorBoundFrom?: number | null;
  };
  hot?: ClosedLoopResult & { seqs: (SeqCheck & { persistedInRun: number }) | null };
  seqs?: SeqCheck;
  /** --scenarios=big: broadcasts to one channel of `bigClients` sockets. */
  big?: BigChannelResult;
  /** --scenarios=notify: what deciding who a message notifies costs, against notifications off. */
  notify?: NotifyCostResult;
  /** Which repeat this is (1-based) and its place in the run's order (interleaved with the other kind). */
  repeat?: number;
  order?: number;
  /** The CPUs each server process may run on, read back after starting it (pid → list). */
  affinity?: Record<number, string | null>;
  /**
   * Connect / mass-reconnect of every client of the many-rooms population (`roomClients`): the
   * connect is the memory steps' connects added up (or one connect with --scenarios=connect).
   */
  connectMany?: { clients: number; connect: ConnectResult; reconnect?: ConnectResult };
}

/** A figure across repeats: median, range and range relative to the median. */
export interface Spread {
  median: number | null;
  min: number | null;
  max: number | null;
  /** (max − min) / median. */
  relativeSpread: number | null;
  n: number;
  values: (number | null)[];
}

export interface Target {
  name: string;
  system: string;
  value: number | null;
  limit: string;
  pass: boolean | null;
  note?: string;
  /** For ratio targets: the per-repeat paired ratios (project repeat r / baseline repeat r). */
  paired?: Spread;
}

/** How the run's processes were placed on CPUs (see bench/lib/pinning.ts). */
export interface PinningReport {
  pinned: boolean;
  reason: string | null;
  serverCpus: string | null;
  generatorCpus: string | null;
  orchestratorCpus: string | null;
  /** Postgres and Redis are the machine's services, not started by the bench: never pinned. */
  external: Record<string, { pids: number[]; affinity: (string | null)[]; pinned: false; note: string }>;
  generatorAffinity: Record<number, string | null>;
}

export interface RunResult {
  startedAt: string;
  finishedAt: string | null;
  aborted?: string;
  error?: string;
  machine: {
    cpuModel: string;
    cores: number;
    memoryBytes: number;
    node: string;
    kernel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[] | null;
  };
  packages: Record<string, string | null>;
  parameters: Config | null;
  processes?: Record<string, unknown>;
  profileDir?: string;
  /** --promoted: one sampling heap profile per server and measured window. */
  promotedDir?: string;
  /** --perf: the recordings (one per system and repeat) and the log lines' CLOCK_MONOTONIC times. */
  perfDir?: string;
  perfMarks?: { t: number; line: string }[];
  /** Set when --heap-snapshots ran: the RSS figures after the first snapshot are inflated by it. */
  heapSnapshotDir?: string;
  /** What the project's services logged (LOG_LEVEL=warn) during the run. */
  serviceLogs?: Record<string, { lines: number; messages: Record<string, number> }>;
  setup?: { users: number; seconds: number };
  seed?: SeedResult & { messages: number };
  history?: {
    messages: number;
    newestPage: HttpResult;
    deepPage: HttpResult;
    search: HttpResult;
    searchCommon: HttpResult;
    /** GET /search with filters (issue #16), by kind: `q+from`, `has=file`, `threadId`, … */
    filtered?: Record<string, HttpResult>;
    explain: Record<string, string[]>;
  };
  /** Repeat 1 of each system (the full fan-out ramp): the detail table. */
  systems: Record<string, SystemResult>;
  /** Every repeat of each system, in run order. */
  runs?: Record<string, SystemResult[]>;
  repeats?: number;
  /** The order the systems ran in (`baseline-1#1`, `project-1#1`, `baseline-1#2`, …). */
  order?: string[];
  pinning?: PinningReport;
  /** The many-rooms Postgres CPU per message the target halves (µs; --pg-reference-us). */
  reference?: { postgresUsPerMessage: number };
  /** Per system, each headline figure's median and spread across repeats. */
  summary?: Record<string, Record<string, Spread>>;
  /** Project/baseline from the medians (the sub-keys of the single-run bench kept, new ones added). */
  ratios?: Record<string, number | null>;
  /** The same ratios per repeat pair (project repeat r / baseline repeat r): median and spread. */
  pairedRatios?: Record<string, Spread>;
  targets?: Target[];
  capacity?: unknown;
  adapters?: unknown;
}

const KB = 1024;
const MB = 1024 * 1024;

/** Per-connection cost between two memory points, in KB (null unless the later has more connections). */
function costBetween(
  from: MemoryPoint | undefined,
  to: MemoryPoint | undefined,
  field: 'rssBytes' | 'heapUsedBytes',
): number | null {
  if (!from || !to || to.connections <= from.connections) return null;
  return (to[field] - from[field]) / (to.connections - from.connections) / KB;
}

/** Per-connection cost between the first and the last memory point, in KB. */
export function perConnectionKb(
  s: SystemResult | undefined,
  field: 'rssBytes' | 'heapUsedBytes',
): number | null {
  const pts = s?.memory?.points ?? [];
  return pts.length < 2 ? null : costBetween(pts[0], pts[pts.length - 1], field);
}

/**
 * Per-connection cost past the first memory step, in KB: between the last two points, when the
 * earlier one already has connections. The figure above, from 0, also counts what a process
 * builds once, on its first handshakes (compiled code, caches, pools), spread over the
 * connections: paid once per process, so twice with two.
 */
export function marginalPerConnectionKb(
  s: SystemResult | undefined,
  field: 'rssBytes' | 'heapUsedBytes',
): number | null {
  const pts = s?.memory?.points ?? [];
  const from = pts[pts.length - 2];
  return pts.length < 3 || !from?.connections ? null : costBetween(from, pts[pts.length - 1], field);
}

const ratio = (p: number | null | undefined, b: number | null | undefined): number | null =>
  p == null || b == null || !Number.isFinite(p) || !Number.isFinite(b) || b === 0 ? null : p / b;

/** The fan-out step at half the sustainable rate (the highest step at or below it). */
function halfRateStep(s: SystemResult | undefined): OpenLoopResult | null {
  const f = s?.fanout;
  if (!f || !f.sustainableRate) return null;
  const half = f.sustainableRate / 2;
  const below = f.steps.filter((x) => x.rate <= half);
  return below.length ? below[below.length - 1] : (f.steps[0] ?? null);
}

const finite = (v: number | null | undefined): v is number => v != null && Number.isFinite(v);

/** Median (mean of the middle two for an even count), range and relative range of the finite values. */
export function spread(values: (number | null | undefined)[]): Spread {
  const all = values.map((v) => (finite(v) ? v : null));
  const xs = all.filter(finite).sort((a, b) => a - b);
  if (!xs.length) return { median: null, min: null, max: null, relativeSpread: null, n: 0, values: all };
  const mid = xs.length >> 1;
  const median = xs.length % 2 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
  const min = xs[0];
  const max = xs[xs.length - 1];
  return {
    median,
    min,
    max,
    relativeSpread: median ? (max - min) / Math.abs(median) : null,
    n: xs.length,
    values: all,
  };
}

/** Many-rooms CPU of one process group per message sent (each delivered to its room), µs. */
function roomsUsPerMessage(s: SystemResult | undefined, group: string, roomSize: number): number | null {
  const m = s?.manyRooms;
  return m && m.attempted && m.deliveredPerSecond
    ? ((m.cpu[group] ?? 0) * 1e6) / (m.deliveredPerSecond / roomSize)
    : null;
}

/** Server CPU per delivery at the highest passing fan-out step at or below `rate` (µs). */
function usPerDeliveryAt(s: SystemResult | undefined, rate: number | null): number | null {
  const f = s?.fanout;
  if (!f || rate === null) return null;
  const ok = f.steps.filter((x) => x.rate <= rate && x.latency.p99 < 100 && x.deliveredPerSecond > 0);
  const step = ok.sort((a, b) => b.rate - a.rate)[0];
  return step ? (step.cpu.servers * 1e6) / step.deliveredPerSecond : null;
}

/**
 * The servers' garbage collections over a measured window, per second (summed over the servers):
 * null when no probe reported them. The old generation's growth is what the scavenges promoted
 * (and what was allocated there directly): the faster it grows, the sooner a major collection.
 */
export function windowGc(w: OpenLoopResult | undefined): {
  minorPerSecond: number;
  minorPauseMsPerSecond: number;
  majorPerSecond: number;
  pauseMsPerSecond: number;
  maxPauseMs: number;
  oldGrowthMBPerSecond: number;
} | null {
  const gcs = (w?.serverLoops ?? [])
    .map((l) => l.gc)
    .filter((g): g is ServerGc => g !== null && g !== undefined);
  if (!w || gcs.length === 0 || !(w.seconds > 0)) return null;
  const sum = (f: (g: ServerGc) => number) => gcs.reduce((a, g) => a + f(g), 0) / w.seconds;
  return {
    minorPerSecond: sum((g) => g.minor.count),
    minorPauseMsPerSecond: sum((g) => g.minor.pauseMs),
    majorPerSecond: sum((g) => g.major.count),
    pauseMsPerSecond: sum((g) => g.minor.pauseMs + g.major.pauseMs),
    maxPauseMs: Math.max(...gcs.map((g) => Math.max(g.minor.maxPauseMs, g.major.maxPauseMs))),
    oldGrowthMBPerSecond: sum((g) => g.oldGrowthBytes) / 1e6,
  };
}

/** The headline figures of one run of one system, by name (null where the scenario did not run). */
export function figures(s: SystemResult, roomSize: number): Record<string, number | null> {
  const f = s.fanout;
  const atSustainable = f?.steps.find((x) => x.rate === f.sustainableRate) ?? f?.steps[0];
  const half = halfRateStep(s);
  return {
    fanoutSustainableRate: f ? f.sustainableRate : null,
    fanoutConnectSeconds: f ? f.connect.seconds : null,
    fanoutReconnectSeconds: f?.reconnect ? f.reconnect.seconds : null,
    fanoutServerUsPerDeliveryAtSustainable:
      atSustainable && atSustainable.deliveredPerSecond
        ? (atSustainable.cpu.servers * 1e6) / atSustainable.deliveredPerSecond
        : null,
    halfRateAckP99Ms: half ? half.ack.p99 : null,
    roomsConnectSeconds: s.connectMany ? s.connectMany.connect.seconds : null,
    roomsReconnectSeconds: s.connectMany?.reconnect ? s.connectMany.reconnect.seconds : null,
    manyRoomsP99Ms: s.manyRooms ? s.manyRooms.latency.p99 : null,
    manyRoomsServerCpu: s.manyRooms ? s.manyRooms.cpu.servers : null,
    manyRoomsServerUsPerMessage: roomsUsPerMessage(s, 'servers', roomSize),
    manyRoomsPostgresUsPerMessage: roomsUsPerMessage(s, 'postgres', roomSize),
    manyRoomsRedisUsPerMessage: roomsUsPerMessage(s, 'redis', roomSize),
    manyRoomsOldGrowthMBPerSecond: windowGc(s.manyRooms)?.oldGrowthMBPerSecond ?? null,
    manyRoomsGcPauseMsPerSecond: windowGc(s.manyRooms)?.pauseMsPerSecond ?? null,
    kbPerConnectionRss: perConnectionKb(s, 'rssBytes'),
    kbPerConnectionHeap: perConnectionKb(s, 'heapUsedBytes'),
    kbPerConnectionRssMarginal: marginalPerConnectionKb(s, 'rssBytes'),
    kbPerConnectionHeapMarginal: marginalPerConnectionKb(s, 'heapUsedBytes'),
    hotAckedPerSecond: s.hot ? s.hot.ackedPerSecond : null,
    hotPersistedPerSecond: s.hot?.seqs ? s.hot.seqs.persistedInRun / s.hot.seconds : null,
    bigMaxLoopBlockMs: s.big ? s.big.maxLoopBlockMs : null,
    bigDeliveryRatio: s.big ? s.big.deliveryRatio : null,
    bigLatencyMaxMs: s.big ? s.big.latencyMaxMs : null,
    bigConnectSeconds: s.big ? s.big.connectSeconds : null,
    ...notifyFigures(s.notify),
  };
}

/** The notify scenario's phases, off first (the reference), as the report lists them. */
const NOTIFY_PHASES: NotifyPhaseName[] = ['off', 'defaults', 'all50', 'channelEvery10'];
const capital = (x: string) => x[0].toUpperCase() + x.slice(1);
/** `notifyAll50P99Ms`: the figure of one notify phase. */
const notifyKey = (
  p: NotifyPhaseName,
  what: 'ServerUsPerMessage' | 'PostgresUsPerMessage' | 'P50Ms' | 'P99Ms',
) => `notify${capital(p)}${what}`;

function notifyFigures(n: NotifyCostResult | undefined): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const p of NOTIFY_PHASES) {
    const x = n?.phases[p];
    out[notifyKey(p, 'ServerUsPerMessage')] = x ? x.serverCpuUsPerMessage : null;
    out[notifyKey(p, 'PostgresUsPerMessage')] = x ? x.postgresCpuUsPerMessage : null;
    out[notifyKey(p, 'P50Ms')] = x ? x.latencyP50Ms : null;
    out[notifyKey(p, 'P99Ms')] = x ? x.latencyP99Ms : null;
  }
  return out;
}

/**
 * On/off ratio keys of the notify scenario (without `-<processes>`): phase with notifications on
 * over `off`, for gateway CPU per message and the e2e p99. The defaults phase keeps the short names.
 */
const NOTIFY_RATIOS: {
  key: string;
  phase: NotifyPhaseName;
  figure: 'ServerUsPerMessage' | 'P99Ms';
  limit: number | null;
}[] = [
  { key: 'notifyCpuRatio', phase: 'defaults', figure: 'ServerUsPerMessage', limit: 1.1 },
  { key: 'notifyP99Ratio', phase: 'defaults', figure: 'P99Ms', limit: 1.1 },
  { key: 'notifyAll50CpuRatio', phase: 'all50', figure: 'ServerUsPerMessage', limit: 1.1 },
  { key: 'notifyAll50P99Ratio', phase: 'all50', figure: 'P99Ms', limit: 1.1 },
  // No target: every @channel message is a second fan-out to the whole channel (README).
  { key: 'notifyChannelEvery10CpuRatio', phase: 'channelEvery10', figure: 'ServerUsPerMessage', limit: null },
  { key: 'notifyChannelEvery10P99Ratio', phase: 'channelEvery10', figure: 'P99Ms', limit: null },
];

/** Ratio key (without the `-<processes>` suffix) → the figure it divides. */
const RATIO_FIGURES: Record<string, string> = {
  fanoutSustainableRate: 'fanoutSustainableRate',
  manyRoomsP99: 'manyRoomsP99Ms',
  manyRoomsServerCpu: 'manyRoomsServerCpu',
  hotThroughput: 'hotAckedPerSecond',
  'kbPerConnection-rssBytes': 'kbPerConnectionRss',
  'kbPerConnection-heapUsedBytes': 'kbPerConnectionHeap',
  // No target of its own: the target stays on the figure from 0 connections.
  'kbPerConnectionMarginal-rssBytes': 'kbPerConnectionRssMarginal',
  'kbPerConnectionMarginal-heapUsedBytes': 'kbPerConnectionHeapMarginal',
  fanoutConnect: 'fanoutConnectSeconds',
  fanoutReconnect: 'fanoutReconnectSeconds',
  roomsConnect: 'roomsConnectSeconds',
  roomsReconnect: 'roomsReconnectSeconds',
  fanoutServerCpuPerDelivery: 'fanoutServerUsPerDeliveryAtCommonRate',
  manyRoomsServerCpuPerMessage: 'manyRoomsServerUsPerMessage',
  bigMaxLoopBlock: 'bigMaxLoopBlockMs',
  bigLatencyMax: 'bigLatencyMaxMs',
};

const runsOf = (r: RunResult, name: string): SystemResult[] =>
  r.runs?.[name] ?? (r.systems[name] ? [r.systems[name]] : []);

/**
 * Medians and spreads per system (`summary`), project/baseline ratios of the medians (`ratios`)
 * and of each repeat pair (`pairedRatios`), and the targets, all from every repeat.
 */
export function evaluateTargets(r: RunResult): Target[] {
  const t: Target[] = [];
  const roomSize = r.parameters?.roomSize ?? 10;
  r.ratios = {};
  r.pairedRatios = {};
  r.summary = {};
  const perRun: Record<string, Record<string, number | null>[]> = {};
  for (const name of new Set([...Object.keys(r.systems), ...Object.keys(r.runs ?? {})])) {
    perRun[name] = runsOf(r, name).map((s) => (s.error ? {} : figures(s, roomSize)));
  }
  const med = (name: string, fig: string) => spread((perRun[name] ?? []).map((x) => x[fig])).median;
  // Server CPU per delivery compares both at one rate: the highest both sustain (from the medians).
  for (const n of [1, 2]) {
    const common = [
      med(`project-${n}`, 'fanoutSustainableRate'),
      med(`baseline-${n}`, 'fanoutSustainableRate'),
    ];
    const known = common.filter(finite);
    const rate = known.length === 2 ? Math.min(...known) : null;
    for (const kind of ['project', 'baseline']) {
      const name = `${kind}-${n}`;
      runsOf(r, name).forEach((s, i) => {
        if (perRun[name][i]) perRun[name][i].fanoutServerUsPerDeliveryAtCommonRate = usPerDeliveryAt(s, rate);
      });
    }
  }
  for (const [name, rows] of Object.entries(perRun)) {
    const keys = new Set(rows.flatMap((x) => Object.keys(x)));
    r.summary[name] = Object.fromEntries([...keys].map((k) => [k, spread(rows.map((x) => x[k]))]));
  }
  const pairedSpread = (n: number, fig: string): Spread => {
    const p = perRun[`project-${n}`] ?? [];
    const b = perRun[`baseline-${n}`] ?? [];
    return spread(
      Array.from({ length: Math.min(p.length, b.length) }, (_, i) => ratio(p[i][fig], b[i][fig])),
    );
  };
  const fmtPaired = (x: Spread) =>
    x.n ? `paired ${fmt(x.median, 2)} [${fmt(x.min, 2)}–${fmt(x.max, 2)}] over ${x.n}` : 'no pairs';

  for (const n of [1, 2]) {
    const pn = `project-${n}`;
    const bn = `baseline-${n}`;
    const pRuns = runsOf(r, pn);
    const bRuns = runsOf(r, bn);
    if (!pRuns.length && !bRuns.length) continue;
    const ratioOf = (key: string): number | null => {
      const fig = RATIO_FIGURES[key];
      const v = ratio(med(pn, fig), med(bn, fig));
      r.ratios![`${key}-${n}`] = v;
      r.pairedRatios![`${key}-${n}`] = pairedSpread(n, fig);
      return v;
    };
    for (const key of Object.keys(RATIO_FIGURES)) ratioOf(key);
    // Per fan-out step: the median over the repeats that ran that rate.
    const rates = [...new Set(pRuns.flatMap((s) => s.fanout?.steps.map((x) => x.rate) ?? []))].sort(
      (a, b) => a - b,
    );
    for (const rate of rates) {
      const at = (runs: SystemResult[], get: (x: OpenLoopResult) => number) =>
        spread(runs.map((s) => s.fanout?.steps.find((x) => x.rate === rate)).map((x) => (x ? get(x) : null)))
          .median;
      r.ratios[`fanoutP99@${rate}-${n}`] = ratio(
        at(pRuns, (x) => x.latency.p99),
        at(bRuns, (x) => x.latency.p99),
      );
      r.ratios[`fanoutServerCpu@${rate}-${n}`] = ratio(
        at(pRuns, (x) => x.cpu.servers),
        at(bRuns, (x) => x.cpu.servers),
      );
    }
    const proc = `${n} process${n > 1 ? 'es' : ''}`;
    const fr = r.ratios[`fanoutSustainableRate-${n}`];
    const bound = [...pRuns, ...bRuns]
      .map((s) => s.fanout?.generatorBoundFrom)
      .filter((x): x is number => typeof x === 'number');
    const boundNote = bound.length
      ? `; generators out of CPU from ${Math.min(...bound)} msg/s in ${bound.length} run(s): a ceiling there may be theirs`
      : '';
    const delivered = pRuns.some((s) => s.fanout)
      ? pRuns.every((s) => !s.fanout || s.fanout.steps.every((x) => x.deliveryRatio === 1))
      : null;
    t.push({
      name: `fan-out rate at p99 < 100 ms ≥ 0.9× baseline, delivery 1.0 (${proc})`,
      system: pn,
      value: fr,
      limit: '≥ 0.9 and delivery 1.0',
      pass: fr === null || delivered === null ? null : fr >= 0.9 && delivered,
      note: `median project ${fmt(med(pn, 'fanoutSustainableRate'))} msg/s vs baseline ${fmt(med(bn, 'fanoutSustainableRate'))} msg/s; delivery ${delivered === null ? '—' : delivered ? '1.0 at every step' : '< 1.0 at some step'}; ${fmtPaired(r.pairedRatios[`fanoutSustainableRate-${n}`])}${boundNote}`,
      paired: r.pairedRatios[`fanoutSustainableRate-${n}`],
    });
    for (const field of ['rssBytes', 'heapUsedBytes'] as const) {
      const key = `kbPerConnection-${field}`;
      const mr = r.ratios[`${key}-${n}`];
      const fig = RATIO_FIGURES[key];
      t.push({
        name: `memory per idle authenticated connection (${field === 'rssBytes' ? 'RSS' : 'heap'}) ≤ 1.3× baseline (${n})`,
        system: pn,
        value: mr,
        limit: '≤ 1.3',
        pass: mr === null ? null : mr <= 1.3,
        note: `${fmt(med(pn, fig))} KB vs ${fmt(med(bn, fig))} KB; ${fmtPaired(r.pairedRatios[`${key}-${n}`])}`,
        paired: r.pairedRatios[`${key}-${n}`],
      });
    }
    const halfAck = med(pn, 'halfRateAckP99Ms');
    t.push({
      name: `send→ack p99 ≤ 20 ms at half the sustainable rate (${n})`,
      system: pn,
      value: halfAck,
      limit: '≤ 20 ms',
      pass: halfAck === null ? null : halfAck <= 20,
      note:
        halfAck === null
          ? 'no sustainable rate'
          : `median of ${r.summary[pn]?.halfRateAckP99Ms?.n ?? 0} repeats`,
    });
    const hot = med(pn, 'hotPersistedPerSecond');
    const gapFree = pRuns.every((s) => !s.hot?.seqs || s.hot.seqs.gapFree);
    t.push({
      name: `hot channel ≥ 1,000 persisted messages/s, seqs gap-free (${n})`,
      system: pn,
      value: hot,
      limit: '≥ 1000/s',
      pass: hot === null ? null : hot >= 1000 && gapFree,
      note: hot === null ? undefined : `median; gap-free in every repeat ${gapFree}`,
    });
    const cfg = r.parameters;
    const counts: [string, string, number | undefined, string][] = [
      ['fanoutConnect', 'connect', cfg?.fanoutClients, 'one channel'],
      ['fanoutReconnect', 'reconnect (all at once)', cfg?.fanoutClients, 'one channel'],
      ['roomsConnect', 'connect', cfg?.roomClients, `rooms of ${roomSize}`],
      ['roomsReconnect', 'reconnect (all at once)', cfg?.roomClients, `rooms of ${roomSize}`],
    ];
    for (const [key, what, clients, where] of counts) {
      const v = r.ratios[`${key}-${n}`];
      const fig = RATIO_FIGURES[key];
      t.push({
        name: `${what} ${clients?.toLocaleString('en') ?? '?'} clients (${where}) ≤ 1.5× baseline time (${n})`,
        system: pn,
        value: v,
        limit: '≤ 1.5',
        pass: v === null ? null : v <= 1.5,
        note: `median ${fmt(med(pn, fig))} s vs ${fmt(med(bn, fig))} s; ${fmtPaired(r.pairedRatios[`${key}-${n}`])}`,
        paired: r.pairedRatios[`${key}-${n}`],
      });
    }
    const cpuRatio = r.ratios[`fanoutServerCpuPerDelivery-${n}`];
    t.push({
      name: `fan-out server CPU per delivery ≤ 1.2× baseline, at the highest rate both sustain (${n})`,
      system: pn,
      value: cpuRatio,
      limit: '≤ 1.2',
      pass: cpuRatio === null ? null : cpuRatio <= 1.2,
      note: `median ${fmt(med(pn, 'fanoutServerUsPerDeliveryAtCommonRate'))} µs vs ${fmt(med(bn, 'fanoutServerUsPerDeliveryAtCommonRate'))} µs; ${fmtPaired(r.pairedRatios[`fanoutServerCpuPerDelivery-${n}`])}`,
      paired: r.pairedRatios[`fanoutServerCpuPerDelivery-${n}`],
    });
    const roomsP99 = r.ratios[`manyRoomsP99-${n}`];
    t.push({
      name: `many rooms e2e p99 ≤ 3× baseline (${n})`,
      system: pn,
      value: roomsP99,
      limit: '≤ 3',
      pass: roomsP99 === null ? null : roomsP99 <= 3,
      note: `median ${fmt(med(pn, 'manyRoomsP99Ms'))} ms vs ${fmt(med(bn, 'manyRoomsP99Ms'))} ms; ${fmtPaired(r.pairedRatios[`manyRoomsP99-${n}`])}`,
      paired: r.pairedRatios[`manyRoomsP99-${n}`],
    });
    if (pRuns.some((s) => s.big)) {
      const block = med(pn, 'bigMaxLoopBlockMs');
      const delivered = pRuns.every((s) => !s.big || s.big.deliveryRatio === 1);
      const clients = pRuns.find((s) => s.big)?.big?.clients ?? 0;
      t.push({
        name: `max event-loop block during broadcasts to one ${clients.toLocaleString('en')}-socket channel ≤ 50 ms, delivery 1.0 (${n})`,
        system: pn,
        value: block,
        limit: '≤ 50 ms and delivery 1.0',
        pass: block === null ? null : block <= 50 && delivered,
        note: `median over repeats, worst of the ${n} gateway(s) (probe resolution 10 ms); baseline ${fmt(med(bn, 'bigMaxLoopBlockMs'))} ms; delivery ${delivered ? '1.0 in every repeat' : '< 1.0 in some repeat'}`,
      });
    }
    if (pRuns.some((s) => s.notify)) t.push(...notifyTargets(r, n, perRun[pn] ?? []));
    const recorded = r.reference?.postgresUsPerMessage ?? null;
    const pg = med(pn, 'manyRoomsPostgresUsPerMessage');
    const pgSpread = r.summary[pn]?.manyRoomsPostgresUsPerMessage;
    t.push({
      name: `many rooms Postgres CPU per message ≤ half the recorded ${fmt(recorded)} µs (${n})`,
      system: pn,
      value: pg,
      limit: recorded === null ? '—' : `≤ ${fmt(recorded / 2)} µs`,
      pass: pg === null || recorded === null ? null : pg <= recorded / 2,
      note: pgSpread?.n
        ? `µs per message, median [${fmt(pgSpread.min)}–${fmt(pgSpread.max)}]; Postgres is the machine's (other databases' load counts too)`
        : undefined,
    });
  }
  const h = r.history;
  const scale = h ? `${h.messages.toLocaleString('en')} messages` : 'not run';
  const histP99 = h ? Math.max(h.newestPage.latency.p99, h.deepPage.latency.p99) : null;
  t.push({
    name: `history page p99 ≤ 10 ms (${scale})`,
    system: 'project-1',
    value: histP99,
    limit: '≤ 10 ms',
    pass: histP99 === null ? null : histP99 <= 10,
    note: h
      ? `newest ${fmt(h.newestPage.latency.p99)} ms, deep ${fmt(h.deepPage.latency.p99)} ms`
      : undefined,
  });
  t.push({
    name: `search p99 ≤ 50 ms (${scale})`,
    system: 'project-1',
    value: h ? h.search.latency.p99 : null,
    limit: '≤ 50 ms',
    pass: h ? h.search.latency.p99 <= 50 : null,
    note: h ? `commonest words: p99 ${fmt(h.searchCommon.latency.p99)} ms` : undefined,
  });
  // Issue #16: every filter and combination within the same limit as the plain search.
  const filtered = Object.entries(h?.filtered ?? {});
  const worst = filtered.sort((a, b) => b[1].latency.p99 - a[1].latency.p99)[0];
  const failedKinds = filtered.filter(([, x]) => Object.keys(x.statuses).some((c) => c !== '200'));
  t.push({
    name: `search p99 with filters ≤ 50 ms, each filter and combination (${h?.filtered ? scale : 'not run'})`,
    system: 'project-1',
    value: worst ? worst[1].latency.p99 : null,
    limit: '≤ 50 ms, all 200',
    pass: worst ? worst[1].latency.p99 <= 50 && failedKinds.length === 0 : null,
    note: worst
      ? `worst ${worst[0]}; ` +
        filtered.map(([k, x]) => `${k} ${fmt(x.latency.p99)}`).join(', ') +
        (failedKinds.length ? `; non-200 answers in ${failedKinds.map(([k]) => k).join(', ')}` : '')
      : undefined,
  });
  return t;
}

/**
 * The notify scenario's on/off ratios (`ratios`: of the medians; `pairedRatios`: each repeat's
 * on block over its own off block) and the issue's ≤ 1.10 targets for defaults and all50.
 */
function notifyTargets(r: RunResult, n: number, rows: Record<string, number | null>[]): Target[] {
  const t: Target[] = [];
  const pn = `project-${n}`;
  const runs = runsOf(r, pn).filter((s) => s.notify);
  const saturatedRuns = Object.fromEntries(
    NOTIFY_PHASES.map((p) => [
      p,
      runs.filter((s) => s.notify!.phases.off?.saturated || s.notify!.phases[p]?.saturated).length,
    ]),
  ) as Record<NotifyPhaseName, number>;
  const med = (fig: string) => spread(rows.map((x) => x[fig])).median;
  for (const { key, phase, figure, limit } of NOTIFY_RATIOS) {
    const on = notifyKey(phase, figure);
    const off = notifyKey('off', figure);
    const value = ratio(med(on), med(off));
    const paired = spread(rows.map((x) => ratio(x[on], x[off])));
    r.ratios![`${key}-${n}`] = value;
    r.pairedRatios![`${key}-${n}`] = paired;
    if (limit === null) continue;
    const what = figure === 'P99Ms' ? 'e2e p99' : 'gateway CPU per message';
    const unit = figure === 'P99Ms' ? 'ms' : 'µs';
    // A backlog in most repeats makes the medians queueing and CPU share, not the decision's cost.
    const saturated = saturatedRuns[phase];
    const decided = value !== null && saturated * 2 <= runs.length;
    t.push({
      name: `notifications (${phase === 'defaults' ? 'default levels' : '50 members at all'}): ${what} ≤ ${limit}× notifications off, 1,000-member channel (${n})`,
      system: pn,
      value,
      limit: `≤ ${limit}`,
      pass: decided ? value <= limit : null,
      note:
        `median ${fmt(med(on))} ${unit} vs off ${fmt(med(off))} ${unit}; paired ${fmt(paired.median, 3)} [${fmt(paired.min, 3)}–${fmt(paired.max, 3)}] over ${paired.n}` +
        (saturated
          ? `; saturated (p99 > ${r.parameters?.stopAboveMs ?? '?'} ms or delivery < 0.9, off or this phase) in ${saturated} of ${runs.length} repeats${decided ? '' : ': no verdict'}`
          : ''),
      paired,
    });
  }
  return t;
}

function fmt(v: number | null | undefined, digits?: number): string {
  if (v == null || !Number.isFinite(v)) return '—';
  if (digits !== undefined) return v.toFixed(digits);
  const a = Math.abs(v);
  return a >= 1000
    ? Math.round(v).toLocaleString('en')
    : a >= 100
      ? v.toFixed(0)
      : a >= 10
        ? v.toFixed(1)
        : v.toFixed(2);
}

const lat = (s: Summary | undefined) =>
  s ? `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.p99)} / ${fmt(s.max)}` : '—';

function cpu(c: Record<string, number> | undefined): string {
  if (!c) return '—';
  const g = (k: string) => fmt(c[k] ?? 0, 2);
  return `${g('servers')} · ${g('redis')} · ${g('postgres')} · ${g('generators')}`;
}

/**
 * One markdown table: a row per figure, columns baseline/project per process count with the
 * project/baseline ratio; the targets at the bottom.
 */
export function renderTable(r: RunResult): string {
  const cols = [1, 2].filter((n) => r.systems[`baseline-${n}`] || r.systems[`project-${n}`]);
  const header = ['figure'];
  for (const n of cols) header.push(`baseline ×${n}`, `project ×${n}`, 'p/b');
  const rows: string[][] = [];
  const row = (
    label: string,
    cell: (s: SystemResult | undefined) => string,
    num?: (s: SystemResult | undefined) => number | null | undefined,
  ) => {
    const line = [label];
    for (const n of cols) {
      const b = r.systems[`baseline-${n}`];
      const p = r.systems[`project-${n}`];
      line.push(b?.error ? `error` : cell(b), p?.error ? `error` : cell(p));
      line.push(num ? fmt(ratio(num(p), num(b)), 2) : '');
    }
    rows.push(line);
  };
  const cfg = r.parameters;
  const fanClients = cfg?.fanoutClients ?? 0;

  row(
    `fan-out: highest rate with e2e p99 < 100 ms (msg/s, ${fanClients} clients)`,
    (s) => (s?.fanout ? String(s.fanout.sustainableRate) : '—'),
    (s) => s?.fanout?.sustainableRate,
  );
  // The ramp's rates and the refinement steps between them, as any system ran them.
  const ranRates = [
    ...new Set(Object.values(r.systems).flatMap((s) => s.fanout?.steps.map((x) => x.rate) ?? [])),
  ].sort((a, b) => a - b);
  for (const rate of ranRates) {
    const step = (s: SystemResult | undefined) => s?.fanout?.steps.find((x) => x.rate === rate);
    row(
      `fan-out ${rate}/s: e2e p50 / p95 / p99 / max ms`,
      (s) => lat(step(s)?.latency),
      (s) => step(s)?.latency.p99,
    );
    row(
      `fan-out ${rate}/s: delivered/s · delivery ratio`,
      (s) => {
        const x = step(s);
        return x ? `${fmt(x.deliveredPerSecond)} · ${x.deliveryRatio.toFixed(4)}` : '—';
      },
      (s) => step(s)?.deliveredPerSecond,
    );
    row(`fan-out ${rate}/s: send→ack p50 / p99 ms`, (s) => {
      const x = step(s);
      return x ? `${fmt(x.ack.p50)} / ${fmt(x.ack.p99)}` : '—';
    });
    row(`fan-out ${rate}/s: CPU cores server · redis · pg · generators`, (s) => cpu(step(s)?.cpu));
  }
  row(
    `fan-out: connect ${fanClients} clients (s) · presence events`,
    (s) => (s?.fanout ? `${fmt(s.fanout.connect.seconds)} · ${s.fanout.connect.presenceEvents}` : '—'),
    (s) => s?.fanout?.connect.seconds,
  );
  row(
    `fan-out: all ${fanClients} clients reconnect at once (s) · presence events`,
    (s) =>
      s?.fanout?.reconnect
        ? `${fmt(s.fanout.reconnect.seconds)} · ${s.fanout.reconnect.presenceEvents}`
        : '—',
    (s) => s?.fanout?.reconnect?.seconds,
  );

  const rooms = cfg ? `${cfg.roomClients / cfg.roomSize}×${cfg.roomSize}` : '';
  row(
    `many rooms ${rooms}, 1 msg/s each: e2e p50 / p95 / p99 / max ms`,
    (s) => lat(s?.manyRooms?.latency),
    (s) => s?.manyRooms?.latency.p99,
  );
  row(`many rooms: delivered/s · delivery ratio`, (s) =>
    s?.manyRooms ? `${fmt(s.manyRooms.deliveredPerSecond)} · ${s.manyRooms.deliveryRatio.toFixed(4)}` : '—',
  );
  row(`many rooms: send→ack p50 / p99 ms`, (s) =>
    s?.manyRooms ? `${fmt(s.manyRooms.ack.p50)} / ${fmt(s.manyRooms.ack.p99)}` : '—',
  );
  row(
    `many rooms: CPU cores server · redis · pg · generators`,
    (s) => cpu(s?.manyRooms?.cpu),
    (s) => s?.manyRooms?.cpu.servers,
  );

  const perMsg = (s: SystemResult | undefined, group: string) => {
    const m = s?.manyRooms;
    return m && m.attempted ? (m.cpu[group] * 1e6) / (m.deliveredPerSecond / (cfg?.roomSize ?? 10)) : null;
  };
  row(
    'many rooms unit cost: server CPU µs per message (each delivered to its room)',
    (s) => fmt(perMsg(s, 'servers')),
    (s) => perMsg(s, 'servers'),
  );
  row('many rooms unit cost: Postgres · Redis CPU µs per message', (s) =>
    s?.manyRooms ? `${fmt(perMsg(s, 'postgres'))} · ${fmt(perMsg(s, 'redis'))}` : '—',
  );
  row(
    "many rooms: servers' GC per s: scavenges · their pause ms (max) · majors · old generation growth MB",
    (s) => {
      const g = windowGc(s?.manyRooms);
      return g
        ? `${fmt(g.minorPerSecond)} · ${fmt(g.minorPauseMsPerSecond)} (${fmt(g.maxPauseMs)}) · ` +
            `${fmt(g.majorPerSecond)} · ${fmt(g.oldGrowthMBPerSecond)}`
        : '—';
    },
    (s) => windowGc(s?.manyRooms)?.oldGrowthMBPerSecond,
  );
  const perDelivery = (s: SystemResult | undefined) => {
    const f = s?.fanout;
    const step = f?.steps.find((x) => x.rate === f.sustainableRate) ?? f?.steps[0];
    return step && step.deliveredPerSecond ? (step.cpu.servers * 1e6) / step.deliveredPerSecond : null;
  };
  row(
    'fan-out unit cost: server CPU µs per delivery (at the sustainable rate)',
    (s) => fmt(perDelivery(s)),
    (s) => perDelivery(s),
  );

  for (const n of cfg?.memorySteps ?? []) {
    const pt = (s: SystemResult | undefined) => s?.memory?.points.find((p) => p.connections === n);
    row(
      `memory at ${n} idle connections: RSS / heap MB (all server processes)`,
      (s) => {
        const p = pt(s);
        return p ? `${fmt(p.rssBytes / MB)} / ${fmt(p.heapUsedBytes / MB)}` : '—';
      },
      (s) => pt(s)?.rssBytes,
    );
  }
  row(
    'memory per idle connection: RSS KB',
    (s) => fmt(perConnectionKb(s, 'rssBytes')),
    (s) => perConnectionKb(s, 'rssBytes'),
  );
  row(
    'memory per idle connection: heap KB',
    (s) => fmt(perConnectionKb(s, 'heapUsedBytes')),
    (s) => perConnectionKb(s, 'heapUsedBytes'),
  );
  row(
    'memory per idle connection past the first step: RSS / heap KB',
    (s) =>
      `${fmt(marginalPerConnectionKb(s, 'rssBytes'))} / ${fmt(marginalPerConnectionKb(s, 'heapUsedBytes'))}`,
    (s) => marginalPerConnectionKb(s, 'heapUsedBytes'),
  );
  row(
    `connect ${cfg?.roomClients ?? ''} clients (s)`,
    (s) => (s?.memory ? fmt(s.memory.connects.reduce((a, c) => a + c.seconds, 0)) : '—'),
    (s) => s?.memory?.connects.reduce((a, c) => a + c.seconds, 0),
  );
  row(
    `all ${cfg?.roomClients ?? ''} clients reconnect at once (s) · presence events`,
    (s) =>
      s?.connectMany?.reconnect
        ? `${fmt(s.connectMany.reconnect.seconds)} · ${s.connectMany.reconnect.presenceEvents}`
        : '—',
    (s) => s?.connectMany?.reconnect?.seconds,
  );

  row(
    `hot channel (${cfg?.hotSenders ?? ''} senders × ${cfg?.hotWindow ?? ''}): acked msg/s (project: persisted)`,
    (s) =>
      s?.hot ? fmt(s.hot.seqs ? s.hot.seqs.persistedInRun / s.hot.seconds : s.hot.ackedPerSecond) : '—',
    (s) => (s?.hot ? (s.hot.seqs ? s.hot.seqs.persistedInRun / s.hot.seconds : s.hot.ackedPerSecond) : null),
  );
  row(`hot channel: send→ack p50 / p99 / max ms`, (s) =>
    s?.hot ? `${fmt(s.hot.ack.p50)} / ${fmt(s.hot.ack.p99)} / ${fmt(s.hot.ack.max)}` : '—',
  );
  row(`hot channel: CPU cores server · redis · pg · generators`, (s) => cpu(s?.hot?.cpu));
  row(`seqs gap-free (hot, fan-out, rooms channels)`, (s) =>
    s?.kind === 'project' ? (s.seqs ? (s.seqs.gapFree ? 'yes' : 'NO') : '—') : 'n/a',
  );
  if (Object.values(r.systems).some((s) => s.big)) {
    const bigClients = Object.values(r.systems).find((s) => s.big)?.big?.clients ?? 0;
    row(
      `big channel (${bigClients.toLocaleString('en')} sockets, 2 msg/s): max event-loop block ms`,
      (s) => (s?.big ? fmt(s.big.maxLoopBlockMs) : '—'),
      (s) => s?.big?.maxLoopBlockMs,
    );
    row(
      `big channel: e2e p50 / max ms · delivery ratio`,
      (s) =>
        s?.big
          ? `${fmt(s.big.latencyP50Ms)} / ${fmt(s.big.latencyMaxMs)} · ${s.big.deliveryRatio.toFixed(4)}`
          : '—',
      (s) => s?.big?.latencyMaxMs,
    );
    row(
      `big channel: connect (s)`,
      (s) => (s?.big ? `${fmt(s.big.connectSeconds)} (${s.big.connected}/${s.big.clients})` : '—'),
      (s) => s?.big?.connectSeconds,
    );
  }

  const h = r.history;
  const hist = (label: string, x: HttpResult | undefined) =>
    rows.push([
      label,
      ...cols.flatMap((n) => ['', n === 1 && x ? `${fmt(x.latency.p50)} / ${fmt(x.latency.p99)}` : '', '']),
    ]);
  if (h) {
    const scale = h.messages.toLocaleString('en');
    hist(`history newest page p50 / p99 ms (${scale} msgs)`, h.newestPage);
    hist(`history deep page p50 / p99 ms`, h.deepPage);
    hist(`search (random word) p50 / p99 ms`, h.search);
    hist(`search (commonest words) p50 / p99 ms`, h.searchCommon);
    for (const [k, x] of Object.entries(h.filtered ?? {})) hist(`search ${k} p50 / p99 ms`, x);
  }
  const lines = markdown(header, rows);
  const busy = r.machine.loadAverageAtStart[0] > 0.5 * r.machine.cores;
  const intro = [
    `## Chat benchmark ${r.startedAt} (${r.parameters?.mode ?? '?'})`,
    '',
    `${r.machine.cpuModel}, ${r.machine.cores} cores, ${fmt(r.machine.memoryBytes / 1024 ** 3)} GiB, node ${r.machine.node}; ` +
      `socket.io ${r.packages['socket.io']}, redis-adapter ${r.packages['@socket.io/redis-adapter']}, ` +
      `Postgres ${r.packages.postgres}, Redis ${r.packages.redis}. Load average at start ${r.machine.loadAverageAtStart
        .map((x) => x.toFixed(2))
        .join(' ')}${busy ? ' — **busy machine: figures are provisional**' : ''}.`,
    r.setup ? `Set-up: ${r.setup.users} users registered in ${fmt(r.setup.seconds)} s.` : '',
    r.seed
      ? `Seed: ${r.seed.messages.toLocaleString('en')} messages in ${fmt(r.seed.seconds)} s (GIN index ${fmt(r.seed.indexSeconds)} s).`
      : '',
    r.aborted ? `**Aborted: ${r.aborted}** — partial figures.` : '',
    r.heapSnapshotDir
      ? `Heap snapshots in ${r.heapSnapshotDir}: they inflate the RSS figures taken after them (heap figures stand).`
      : '',
    r.profileDir ? `CPU profiles in ${r.profileDir} (bench/profile-summary.ts).` : '',
    r.promotedDir
      ? `What survived the scavenges, per window, in ${r.promotedDir} (bench/promoted-summary.ts); the sampling slows the servers: latency and CPU figures of this run are not for the targets.`
      : '',
    r.error ? `**Error: ${r.error}**` : '',
    pinningLine(r),
    'Latency is end to end from the intended send time (coordinated omission corrected); CPU in cores (1.0 = one core).',
    '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
  const repeats = r.repeats ?? 1;
  const stack = renderStackScenarios(r);
  if (!cols.length) return [...intro, ...stack].join('\n');
  return [
    ...intro,
    `### Medians over ${repeats} repeat${repeats > 1 ? 's' : ''} (baseline and project interleaved), and the targets`,
    '',
    ...renderSummary(r, cols),
    '',
    ...renderNotify(r, cols),
    `### Detail: repeat 1 of ${repeats}`,
    '',
    ...lines,
    ...(stack.length ? ['', ...stack] : []),
  ].join('\n');
}

/**
 * The notify scenario per project process count: each phase's figures (median [min–max] over the
 * repeats) and its ratio to `off` (of the medians, and the paired per-repeat ratios' median and range).
 */
function renderNotify(r: RunResult, cols: number[]): string[] {
  const out: string[] = [];
  const cell = (x: Spread | undefined, digits?: number) =>
    x?.n ? `${fmt(x.median, digits)}${x.n > 1 ? ` [${fmt(x.min, digits)}–${fmt(x.max, digits)}]` : ''}` : '—';
  const label: Record<NotifyPhaseName, string> = {
    off: 'off (NOTIFICATIONS_ENABLED=false)',
    defaults: 'defaults (nobody notified)',
    all50: '50 members at all',
    channelEvery10: 'every 10th message @channel',
  };
  for (const n of cols) {
    const name = `project-${n}`;
    const runs = runsOf(r, name).filter((s) => s.notify);
    if (!runs.length) continue;
    const first = runs[0].notify!;
    const sum = r.summary?.[name] ?? {};
    const ratioCell = (phase: NotifyPhaseName, figure: 'Cpu' | 'P99') => {
      if (phase === 'off') return '1';
      const key = `notify${phase === 'defaults' ? '' : capital(phase)}${figure}Ratio-${n}`;
      const paired = r.pairedRatios?.[key];
      return `${fmt(r.ratios?.[key], 3)}${paired?.n ? ` (pairs ${fmt(paired.median, 3)} [${fmt(paired.min, 3)}–${fmt(paired.max, 3)}])` : ''}`;
    };
    const seen = (phase: NotifyPhaseName) =>
      runs.map((s) => s.notify!.phases[phase]?.notificationsSeen ?? '—').join(' · ');
    out.push(
      `### Notification cost (${n} gateway${n > 1 ? 's' : ''}, ${first.clients.toLocaleString('en')} members, ${first.rate} msg/s)`,
      '',
      `${runs.length} repeat${runs.length > 1 ? 's' : ''}, blocks ${runs.map((s) => s.notify!.order.join('→')).join(', ')}; ` +
        `off check (notifications for an @channel message to the off gateways, 0 expected): ` +
        `${runs.map((s) => s.notify!.offCheck.notificationsSeen).join(' · ')}. Ratios are over \`off\`: ` +
        'of the medians, and (pairs) each repeat over its own off block.',
      '',
      ...markdown(
        [
          'phase',
          'gateway CPU µs/msg',
          'Postgres µs/msg',
          'e2e p50 ms',
          'e2e p99 ms',
          'CPU/msg ÷ off',
          'p99 ÷ off',
          'gateway loop use',
          'saturated',
          'notifications seen',
        ],
        NOTIFY_PHASES.map((p) => [
          label[p],
          cell(sum[notifyKey(p, 'ServerUsPerMessage')]),
          cell(sum[notifyKey(p, 'PostgresUsPerMessage')]),
          cell(sum[notifyKey(p, 'P50Ms')]),
          cell(sum[notifyKey(p, 'P99Ms')]),
          ratioCell(p, 'Cpu'),
          ratioCell(p, 'P99'),
          cell(spread(runs.map((s) => s.notify!.phases[p]?.serverLoopUtilization)), 2),
          `${runs.filter((s) => s.notify!.phases[p]?.saturated).length}/${runs.length}`,
          seen(p),
        ]),
      ),
      '',
    );
  }
  return out;
}

type CapacityResult = Awaited<ReturnType<typeof capacityScenario>>;
type AdaptersResult = Awaited<ReturnType<typeof adaptersScenario>>;

/** The capacity and adapters scenarios: one table per adapter, a row per gateway replica. */
function renderStackScenarios(r: RunResult): string[] {
  const out: string[] = [];
  const entries = (x: unknown) => Object.entries((x ?? {}) as Record<string, unknown>);
  const seen = (x: { adapter: string; adapterSeen: { observed: string } }) =>
    x.adapterSeen.observed === x.adapter
      ? ''
      : ` — **Redis shows the ${x.adapterSeen.observed} adapter in use, not ${x.adapter}**`;
  for (const [adapter, raw] of entries(r.capacity)) {
    const c = raw as CapacityResult | { error: string };
    out.push(`### Capacity (${adapter})`, '');
    if ('error' in c) {
      out.push(`**Error: ${c.error}**`, '');
      continue;
    }
    out.push(
      `${c.gateways} gateways × ${c.connectionsPerGateway} connections (${c.users} users, ${fmt(c.connectionsPerUser)} each, ` +
        `${c.rooms} rooms of ${c.roomSize}), ${c.rate} msg/s; connected ${c.connect.connected}/${c.connect.clients} ` +
        `in ${fmt(c.connect.seconds)} s; delivery ${c.load.deliveryRatio.toFixed(4)}, e2e p99 ${fmt(c.load.latency.p99)} ms. ` +
        `Redis CPU per published message ${fmt(c.redis.cpuUsPerPublishedMessage)} µs, Postgres ${fmt(c.postgres.cpuUsPerMessage)} µs${seen(c)}.`,
      '',
      ...markdown(
        [
          'gateway',
          'connections',
          'sends/s',
          'deliveries/s',
          'CPU cores idle at 0 · idle connected · load',
          'idle CPU µs/s per connection',
          'RSS · heap KB per connection',
          'CPU µs per delivery (above idle · gross)',
        ],
        c.replicas.map((x) => [
          String(x.gateway),
          String(x.connections),
          fmt(x.sendsPerSecond),
          fmt(x.deliveriesPerSecond),
          `${fmt(x.cpuCores.idleAt0, 3)} · ${fmt(x.cpuCores.idleConnected, 3)} · ${fmt(x.cpuCores.load, 3)}`,
          fmt(x.idleCpuUsPerConnectionSecond),
          `${fmt(x.rssKbPerConnection)} · ${fmt(x.heapKbPerConnection)}`,
          `${fmt(x.cpuUsPerDelivery)} · ${fmt(x.cpuUsPerDeliveryGross)}`,
        ]),
      ),
      '',
    );
  }
  for (const [adapter, raw] of entries(r.adapters)) {
    const a = raw as AdaptersResult | { error: string };
    out.push(`### Adapters (${adapter})`, '');
    if ('error' in a) {
      out.push(`**Error: ${a.error}**`, '');
      continue;
    }
    out.push(
      `${a.gateways} gateways × ${a.connectionsPerGateway} connections, ${a.rooms} rooms of ${a.roomSize}, each room's ` +
        `members on one gateway; ${a.rate} msg/s. CPU per message a replica spends on rooms it holds no socket for ` +
        `(gateways 2–${a.gateways}, messages only to gateway 1's rooms): **${fmt(a.foreignRoomCpuUsPerMessage)} µs**; ` +
        `Redis ${fmt(a.redis.cpuUsPerPublishedMessage)} µs per message${seen(a)}.`,
      '',
      ...markdown(
        [
          'gateway',
          'connections · rooms held',
          'CPU cores idle · gateway 1 rooms · all rooms',
          'CPU µs per message: gateway 1 rooms · all rooms',
        ],
        a.replicas.map((x) => [
          String(x.gateway),
          `${x.connections} · ${x.roomsHeld}`,
          `${fmt(x.cpuCores.idle, 3)} · ${fmt(x.cpuCores.ownRoomsOfGateway1, 3)} · ${fmt(x.cpuCores.allRooms, 3)}`,
          `${fmt(x.cpuUsPerMessageGateway1Rooms)} · ${fmt(x.cpuUsPerMessageAllRooms)}`,
        ]),
      ),
      '',
    );
  }
  return out;
}

function markdown(header: string[], rows: string[][]): string[] {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((l) => `| ${l.map(esc).join(' | ')} |`),
  ];
}

function pinningLine(r: RunResult): string {
  const p = r.pinning;
  if (!p) return '';
  const ext = Object.entries(p.external)
    .map(([k, v]) => `${k} on CPUs ${[...new Set(v.affinity)].join('/') || '?'}`)
    .join(', ');
  return p.pinned
    ? `Pinned with taskset: servers on CPU ${p.serverCpus}, load generators and the orchestrator on CPU ${p.generatorCpus}; ` +
        `Postgres and Redis are the machine's own services and float (${ext}).`
    : `**Unpinned** (${p.reason}): servers, generators, Postgres and Redis share every core (${ext}).`;
}

/** Headline figures as `median [min–max] ±spread %` per system, the ratio of medians and of pairs. */
const SUMMARY_ROWS: [string, string][] = [
  ['fanoutSustainableRate', 'fan-out: highest rate with e2e p99 < 100 ms (msg/s)'],
  [
    'fanoutServerUsPerDeliveryAtCommonRate',
    'fan-out: server CPU µs per delivery at the highest rate both sustain',
  ],
  ['fanoutServerUsPerDeliveryAtSustainable', 'fan-out: server CPU µs per delivery at own sustainable rate'],
  ['halfRateAckP99Ms', 'fan-out: send→ack p99 at half the sustainable rate (ms)'],
  ['fanoutConnectSeconds', 'fan-out: connect all clients (s)'],
  ['fanoutReconnectSeconds', 'fan-out: all clients reconnect at once (s)'],
  ['roomsConnectSeconds', 'many rooms: connect all clients (s)'],
  ['roomsReconnectSeconds', 'many rooms: all clients reconnect at once (s)'],
  ['manyRoomsP99Ms', 'many rooms: e2e p99 (ms)'],
  ['manyRoomsServerUsPerMessage', 'many rooms: server CPU µs per message'],
  ['manyRoomsPostgresUsPerMessage', 'many rooms: Postgres CPU µs per message'],
  ['manyRoomsRedisUsPerMessage', 'many rooms: Redis CPU µs per message'],
  ['manyRoomsOldGrowthMBPerSecond', "many rooms: servers' old generation growth (MB/s)"],
  ['manyRoomsGcPauseMsPerSecond', "many rooms: servers' GC pause (ms per s)"],
  ['kbPerConnectionRss', 'memory per idle connection: RSS KB'],
  ['kbPerConnectionHeap', 'memory per idle connection: heap KB'],
  ['kbPerConnectionRssMarginal', 'memory per idle connection past the first step: RSS KB'],
  ['kbPerConnectionHeapMarginal', 'memory per idle connection past the first step: heap KB'],
  ['hotAckedPerSecond', 'hot channel: acked msg/s'],
  ['bigMaxLoopBlockMs', 'big channel: max event-loop block during its broadcasts (ms)'],
  ['bigLatencyMaxMs', 'big channel: e2e max (ms)'],
  ['bigConnectSeconds', 'big channel: connect all sockets (s)'],
];

function renderSummary(r: RunResult, cols: number[]): string[] {
  const header = ['figure'];
  for (const n of cols) header.push(`baseline ×${n}`, `project ×${n}`, 'p/b medians', 'p/b pairs');
  const cell = (x: Spread | undefined) =>
    x?.n
      ? `${fmt(x.median)}${x.n > 1 ? ` [${fmt(x.min)}–${fmt(x.max)}] ±${fmt(((x.relativeSpread ?? 0) * 100) / 2, 0)}%` : ''}`
      : '—';
  const rows: string[][] = [];
  for (const [fig, label] of SUMMARY_ROWS) {
    if (!cols.some((n) => r.summary?.[`project-${n}`]?.[fig]?.n || r.summary?.[`baseline-${n}`]?.[fig]?.n))
      continue;
    const line = [label];
    for (const n of cols) {
      const p = r.summary?.[`project-${n}`]?.[fig];
      const b = r.summary?.[`baseline-${n}`]?.[fig];
      const paired = Object.entries(r.pairedRatios ?? {}).find(
        ([k]) => k.endsWith(`-${n}`) && RATIO_FIGURES[k.slice(0, -`-${n}`.length)] === fig,
      )?.[1];
      line.push(
        cell(b),
        cell(p),
        fmt(ratio(p?.median, b?.median), 2),
        paired?.n ? `${fmt(paired.median, 2)} [${fmt(paired.min, 2)}–${fmt(paired.max, 2)}]` : '',
      );
    }
    rows.push(line);
  }
  for (const t of r.targets ?? []) {
    const n = Number(t.system.split('-')[1]);
    const verdict = t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'MISS';
    rows.push([
      `TARGET ${t.name}`,
      ...cols.flatMap((c) => [
        '',
        c === n ? `**${verdict}** ${fmt(t.value)}${t.note ? ` (${t.note})` : ''}` : '',
        '',
        '',
      ]),
    ]);
  }
  return markdown(header, rows);
}
