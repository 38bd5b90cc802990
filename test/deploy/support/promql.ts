import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { stringify } from 'yaml';
import { Metrics } from '../../../libs/platform/src/observability/metrics';
import { repoPath, ROOT } from './repo';

/** PromQL words that look like identifiers but are not metric names. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/**
 * The metric names a (parseable) PromQL expression reads. A lexical pass, enough for the queries
 * of this repository: string literals, label matchers (`{…}`), ranges (`[…]`) and grouping label
 * lists (`by (…)`, `on (…)`, …) are removed; what is left that is an identifier not called as a
 * function is a metric name. `promtool` has parsed the expression first (see checkQueriesParse),
 * so this never has to decide what is valid.
 */
export function metricNamesIn(expr: string): string[] {
  let s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  // Numbers and durations (`0.99`, `1e3`, `5m` after offset) are not identifiers.
  s = s.replace(/\b\d[\w.]*/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const name = m[0];
    const after = s.slice(m.index + name.length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (entry.endsWith('.ts') && !/\.(spec|e2e-spec|fault-spec)\.ts$/.test(entry)) out.push(path);
  }
  return out;
}

export interface RegisteredMetric {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  /** Where it is registered (a source file, or prom-client's defaults). */
  from: string;
}

/**
 * Every metric the services register, read from their sources (apps/*, libs/*):
 * `metrics.counter('name', …)`, `metrics.gauge(…)`, `metrics.histogram(…)` on the service's
 * Metrics, and `new Counter|Gauge|Histogram|Summary({ name: '…' })`; plus prom-client's default
 * process and Node.js metrics as a real `Metrics` registry reports them.
 */
export async function registeredMetrics(): Promise<RegisteredMetric[]> {
  const found: RegisteredMetric[] = [];
  for (const file of [...sourceFiles(repoPath('apps')), ...sourceFiles(repoPath('libs'))]) {
    const text = readFileSync(file, 'utf8');
    const from = relative(ROOT, file);
    for (const m of text.matchAll(/\.(counter|gauge|histogram)\(\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g))
      found.push({ name: m[2], type: m[1] as RegisteredMetric['type'], from });
    for (const m of text.matchAll(
      /new (Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-zA-Z_:][a-zA-Z0-9_:]*)'/g,
    ))
      found.push({ name: m[2], type: m[1].toLowerCase() as RegisteredMetric['type'], from });
  }
  const registry = new Metrics('probe').registry;
  for (const m of await registry.getMetricsAsJSON())
    if (!found.some((f) => f.name === m.name))
      found.push({
        name: m.name,
        type: String(m.type) as RegisteredMetric['type'],
        from: 'prom-client defaults',
      });
  registry.clear();
  return found;
}

/** The series names a registered metric appears under in a scrape (histograms: _bucket, _sum, _count). */
export function exposedNames(metrics: RegisteredMetric[]): Set<string> {
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m.name + s);
    if (m.type === 'summary') for (const s of ['_sum', '_count']) names.add(m.name + s);
  }
  return names;
}

/** Series Prometheus makes itself for every target, not the services. */
export const PROMETHEUS_SERIES = new Set(['up']);

/** Grafana's variables, as a query Prometheus would receive them. */
export function expandGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__range/g, '1h')
    .replace(/\$\{?namespace\}?/g, 'chat');
}

/** prometheus-adapter's Go templates in a metricsQuery, filled as the adapter would for a pod query. */
export function expandAdapterTemplate(metricsQuery: string, seriesName: string): string {
  return metricsQuery
    .replace(/<<\.Series>>/g, seriesName)
    .replace(/<<\.LabelMatchers>>/g, 'namespace="chat",pod=~"gateway-a|gateway-b"')
    .replace(/<<\.GroupBy>>/g, 'pod');
}

export interface PromtoolResult {
  status: number | null;
  output: string;
}

export function promtool(args: string[], cwd: string): PromtoolResult {
  const r = spawnSync('promtool', args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

/**
 * Whether each query parses, by `promtool check rules` on a rule file with one recording rule per
 * query, in a group named after the query's label (so a failure names the panel or rule).
 */
export function checkQueriesParse(queries: Array<{ label: string; expr: string }>): PromtoolResult {
  const dir = mkdtempSync(join(tmpdir(), 'chat-promql-'));
  const groups = queries.map((q, i) => ({
    name: `${i}: ${q.label}`,
    rules: [{ record: `query:${i}`, expr: q.expr }],
  }));
  writeFileSync(join(dir, 'queries.yml'), stringify({ groups }));
  return promtool(['check', 'rules', 'queries.yml'], dir);
}
