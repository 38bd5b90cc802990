import type { Summary } from './histogram';
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
  };
  hot?: ClosedLoopResult & { seqs: (SeqCheck & { persistedInRun: number }) | null };
  seqs?: SeqCheck;
}

export interface Target {
  name: string;
  system: string;
  value: number | null;
  limit: string;
  pass: boolean | null;
  note?: string;
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
  /** Set when --heap-snapshots ran: the RSS figures after the first snapshot are inflated by it. */
  heapSnapshotDir?: string;
  /** What the project's services logged (LOG_LEVEL=warn) during the run. */
  serviceLogs?: Record<string, { lines: number; messages: Record<string, number> }>;
  setup?: { users: number; seconds: number };
  seed?: { messages: number; seconds: number; indexSeconds: number };
  history?: {
    messages: number;
    newestPage: HttpResult;
    deepPage: HttpResult;
    search: HttpResult;
    searchCommon: HttpResult;
    explain: Record<string, string[]>;
  };
  systems: Record<string, SystemResult>;
  ratios?: Record<string, number | null>;
  targets?: Target[];
}

const KB = 1024;
const MB = 1024 * 1024;

/** Per-connection cost between the first and the last memory point, in KB. */
export function perConnectionKb(
  s: SystemResult | undefined,
  field: 'rssBytes' | 'heapUsedBytes',
): number | null {
  const pts = s?.memory?.points;
  if (!pts || pts.length < 2) return null;
  const first = pts[0];
  const last = pts[pts.length - 1];
  if (!last.connections) return null;
  return (last[field] - first[field]) / last.connections / KB;
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

export function evaluateTargets(r: RunResult): Target[] {
  const t: Target[] = [];
  const sys = r.systems;
  r.ratios = {};
  for (const n of [1, 2]) {
    const p = sys[`project-${n}`];
    const b = sys[`baseline-${n}`];
    if (!p && !b) continue;
    const fr = ratio(p?.fanout?.sustainableRate, b?.fanout?.sustainableRate);
    r.ratios[`fanoutSustainableRate-${n}`] = fr;
    for (const step of p?.fanout?.steps ?? []) {
      const other = b?.fanout?.steps.find((x) => x.rate === step.rate);
      r.ratios[`fanoutP99@${step.rate}-${n}`] = ratio(step.latency.p99, other?.latency.p99);
      r.ratios[`fanoutServerCpu@${step.rate}-${n}`] = ratio(step.cpu.servers, other?.cpu.servers);
    }
    r.ratios[`manyRoomsP99-${n}`] = ratio(p?.manyRooms?.latency.p99, b?.manyRooms?.latency.p99);
    r.ratios[`manyRoomsServerCpu-${n}`] = ratio(p?.manyRooms?.cpu.servers, b?.manyRooms?.cpu.servers);
    r.ratios[`hotThroughput-${n}`] = ratio(p?.hot?.ackedPerSecond, b?.hot?.ackedPerSecond);
    const delivered = p?.fanout?.steps.every((s) => s.deliveryRatio === 1) ?? null;
    t.push({
      name: `fan-out rate at p99 < 100 ms ≥ 0.9× baseline, delivery 1.0 (${n} process${n > 1 ? 'es' : ''})`,
      system: `project-${n}`,
      value: fr,
      limit: '≥ 0.9 and delivery 1.0',
      pass: fr === null || delivered === null ? null : fr >= 0.9 && delivered,
      note: `project ${p?.fanout?.sustainableRate ?? '—'} msg/s vs baseline ${b?.fanout?.sustainableRate ?? '—'} msg/s; delivery ${delivered === null ? '—' : delivered ? '1.0 at every step' : '< 1.0 at some step'}`,
    });
    for (const field of ['rssBytes', 'heapUsedBytes'] as const) {
      const mr = ratio(perConnectionKb(p, field), perConnectionKb(b, field));
      r.ratios[`kbPerConnection-${field}-${n}`] = mr;
      t.push({
        name: `memory per idle authenticated connection (${field === 'rssBytes' ? 'RSS' : 'heap'}) ≤ 1.3× baseline (${n})`,
        system: `project-${n}`,
        value: mr,
        limit: '≤ 1.3',
        pass: mr === null ? null : mr <= 1.3,
        note: `${fmt(perConnectionKb(p, field))} KB vs ${fmt(perConnectionKb(b, field))} KB`,
      });
    }
    const half = halfRateStep(p);
    t.push({
      name: `send→ack p99 ≤ 20 ms at half the sustainable rate (${n})`,
      system: `project-${n}`,
      value: half ? half.ack.p99 : null,
      limit: '≤ 20 ms',
      pass: half ? half.ack.p99 <= 20 : null,
      note: half ? `at ${half.rate} msg/s` : 'no sustainable rate',
    });
    t.push({
      name: `hot channel ≥ 1,000 persisted messages/s, seqs gap-free (${n})`,
      system: `project-${n}`,
      value: p?.hot?.seqs ? p.hot.seqs.persistedInRun / p.hot.seconds : null,
      limit: '≥ 1000/s',
      pass: p?.hot?.seqs ? p.hot.seqs.persistedInRun / p.hot.seconds >= 1000 && p.hot.seqs.gapFree : null,
      note: p?.hot?.seqs ? `ack p99 ${fmt(p.hot.ack.p99)} ms; gap-free ${p.hot.seqs.gapFree}` : undefined,
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
    `connect ${cfg?.roomClients ?? ''} clients (s)`,
    (s) => (s?.memory ? fmt(s.memory.connects.reduce((a, c) => a + c.seconds, 0)) : '—'),
    (s) => s?.memory?.connects.reduce((a, c) => a + c.seconds, 0),
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
      ]),
    ]);
  }

  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((l) => `| ${l.map(esc).join(' | ')} |`),
  ];
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
    r.error ? `**Error: ${r.error}**` : '',
    'Latency is end to end from the intended send time (coordinated omission corrected); CPU in cores (1.0 = one core).',
    '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
  return [...intro, ...lines].join('\n');
}
