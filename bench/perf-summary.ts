/**
 * `node dist/bench/bench/perf-summary.js <recording.data> [--json <run.json> --from <text> --to <text>]
 * [--top N]`: where a system's server processes spent their CPU in a `--perf` recording
 * (bench/lib/perf-record.ts), optionally only between two of the run's log lines (the first line
 * containing `--from`, the first after it containing `--to`; their times are in the run's JSON,
 * `perfMarks`). Needs the processes' /tmp/perf-<pid>.map files, so run it on the machine that
 * recorded.
 *
 * V8 appends to a map file as it makes code and never says when code is freed, so an address
 * reused by later code is named twice; `perf` picks the first name, often a function that ran once
 * at start-up. Each map file is rewritten (the original kept as `.orig`) so that a later entry
 * replaces the earlier ones it overlaps.
 *
 * Call chains are walked by frame pointers. A builtin or native function that keeps none can hide
 * its caller, or leave a stale return address that reads as a caller, so the table of the
 * project's functions (whole chains) is a guide; the one by package (the innermost named frame,
 * next to where the sample was taken) is the firmer.
 *
 * Three tables: the share of V8's optimizing compilers and of garbage collection (native frames at
 * the top of the stack); the rest by package, each sample counted for the innermost JavaScript
 * frame that names one (the system calls, builtins and allocations a function causes count for
 * it); and the project's own functions (apps/, libs/) with everything they call.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const COMPILE = /compiler::|Compil|maglev|Maglev|turboshaft|Turboshaft|BytecodeGenerator|Parser::|Scanner::/;
const GC = /Scaveng|Marking|MarkCompact|Sweep|Heap::|Evacuat|GarbageCollect|RememberedSet|MinorMark/;

interface Frame {
  sym: string;
  dso: string;
}

/** A frame's package: node_modules/<pkg>, apps/<app> or libs/<lib> of dist, node:<module>. */
export function packageOf(sym: string): string | null {
  if (!sym.startsWith('JS:')) return null;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(sym);
  if (nm) return nm[1];
  const own = /\/dist\/((?:apps|libs)\/[^/]+)/.exec(sym);
  if (own) return own[1];
  const core = /\bnode:((?:internal\/)?[\w_]+)/.exec(sym);
  return core ? `node:${core[1]}` : null;
}

/** What one sample is counted as: a compiler or GC thread's work, else its package. */
export function classify(stack: Frame[]): { kind: 'compile' | 'gc' | 'run'; pkg: string } {
  const leaf = stack[0]?.sym ?? '';
  if (COMPILE.test(leaf)) return { kind: 'compile', pkg: '(V8 optimizing compilers)' };
  if (GC.test(leaf)) return { kind: 'gc', pkg: '(garbage collection)' };
  for (const f of stack) {
    const pkg = packageOf(f.sym);
    if (pkg) return { kind: 'run', pkg };
  }
  return { kind: 'run', pkg: `(native: ${leaf.slice(0, 48) || stack[0]?.dso || '?'})` };
}

/** The project's own function of a frame (`JS:*name /…/dist/apps/x/y.js:12:3` → `name apps/x/y.js:12`). */
function ownFunction(sym: string): string | null {
  const m = /^JS:[*~^+-]?(.*?)\s+\S*\/dist\/((?:apps|libs)\/[^:]+):(\d+)/.exec(sym);
  return m ? `${m[1] || '(anonymous)'} ${m[2]}:${m[3]}` : null;
}

function windowOf(json: string, from: string, to: string): [number, number] {
  const marks = (JSON.parse(readFileSync(json, 'utf8')) as { perfMarks?: { t: number; line: string }[] })
    .perfMarks;
  if (!marks) throw new Error(`${json} has no perfMarks (was it a --perf run?)`);
  const a = marks.findIndex((m) => m.line.includes(from));
  if (a < 0) throw new Error(`no log line contains "${from}"`);
  const b = marks.findIndex((m, i) => i > a && m.line.includes(to));
  if (b < 0) throw new Error(`no log line after "${marks[a].line}" contains "${to}"`);
  return [marks[a].t, marks[b].t];
}

/** `perf-<pid>.map` lines with the entries that later ones overlap left out (see the header). */
export function latestEntries(lines: string[]): string[] {
  const entries = lines
    .map((line, order) => {
      const [start, size] = line.split(' ', 2);
      return { start: parseInt(start, 16), end: parseInt(start, 16) + parseInt(size, 16), order, line };
    })
    .filter((e) => Number.isFinite(e.start) && Number.isFinite(e.end))
    .sort((a, b) => a.start - b.start || a.order - b.order);
  const kept: typeof entries = [];
  for (const e of entries) {
    let newest = true;
    while (kept.length > 0 && e.start < kept[kept.length - 1].end) {
      if (kept[kept.length - 1].order > e.order) {
        newest = false;
        break;
      }
      kept.pop();
    }
    if (newest) kept.push(e);
  }
  return kept.sort((a, b) => a.order - b.order).map((e) => e.line);
}

async function pidsIn(file: string): Promise<Set<number>> {
  const perf = spawn('perf', ['script', '-i', file, '-F', 'pid'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const pids = new Set<number>();
  for await (const line of createInterface({ input: perf.stdout })) {
    const pid = Number(line.trim());
    if (pid > 0) pids.add(pid);
  }
  return pids;
}

function cleanMaps(pids: Set<number>): void {
  for (const pid of pids) {
    const map = `/tmp/perf-${pid}.map`;
    if (!existsSync(map)) {
      console.error(`${map} is missing: JIT frames of ${pid} stay unnamed`);
      continue;
    }
    if (!existsSync(`${map}.orig`)) copyFileSync(map, `${map}.orig`);
    const lines = readFileSync(`${map}.orig`, 'utf8').split('\n').filter(Boolean);
    writeFileSync(map, latestEntries(lines).join('\n') + '\n');
  }
}

async function* samples(file: string, window: [number, number] | null): AsyncGenerator<Frame[]> {
  const args = ['script', '-i', file, '-F', 'pid,time,ip,sym,dso'];
  if (window) args.push('--time', `${window[0].toFixed(6)},${window[1].toFixed(6)}`);
  const perf = spawn('perf', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  let stack: Frame[] = [];
  for await (const line of createInterface({ input: perf.stdout })) {
    if (/^\s*\d+\s+[\d.]+:/.test(line)) {
      if (stack.length) yield stack;
      stack = [];
      continue;
    }
    const m = /^\s+[0-9a-f]+\s+(.*?)(?:\+0x[0-9a-f]+)?\s+\((.*)\)$/.exec(line);
    if (m) stack.push({ sym: m[1], dso: m[2] });
  }
  if (stack.length) yield stack;
}

function table(title: string, counts: Map<string, number>, total: number, top: number): void {
  console.log(`\n${title}`);
  for (const [k, v] of [...counts].sort((x, y) => y[1] - x[1]).slice(0, top))
    console.log(`${((100 * v) / total).toFixed(1).padStart(6)} %  ${k}`);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      top: { type: 'string', default: '25' },
    },
  });
  const file = positionals[0];
  if (!file)
    throw new Error('usage: perf-summary <recording.data> [--json run.json --from text --to text] [--top N]');
  const given = [values.json, values.from, values.to].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) throw new Error('--json, --from and --to go together');
  const window = given === 3 ? windowOf(values.json!, values.from!, values.to!) : null;
  const top = Number(values.top);
  cleanMaps(await pidsIn(file));
  const kinds = new Map<string, number>();
  const packages = new Map<string, number>();
  const own = new Map<string, number>();
  let total = 0;
  for await (const stack of samples(file, window)) {
    total++;
    const { kind, pkg } = classify(stack);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    if (kind !== 'run') continue;
    packages.set(pkg, (packages.get(pkg) ?? 0) + 1);
    const seen = new Set<string>();
    for (const f of stack) {
      const fn = ownFunction(f.sym);
      if (fn && !seen.has(fn)) {
        seen.add(fn);
        own.set(fn, (own.get(fn) ?? 0) + 1);
      }
    }
  }
  if (total === 0) throw new Error('no samples (wrong window, or perf script found nothing)');
  const span = window ? ` between ${window[0].toFixed(1)} and ${window[1].toFixed(1)} s` : '';
  console.log(`${file}: ${total} samples (≈ ${(total / 999).toFixed(2)} s of CPU)${span}`);
  table('by kind', new Map([...kinds].map(([k, v]) => [k === 'run' ? 'running code' : k, v])), total, 3);
  table('running code, by package (innermost named JavaScript frame)', packages, total, top);
  table(
    "the project's functions, with what they call synchronously (a sample counts once per function)",
    own,
    total,
    top,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
