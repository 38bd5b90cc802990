import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { validateCustomResources } from './support/crds';
import {
  type K8sObject,
  find,
  get,
  overlayNames,
  OVERLAYS_DIR,
  render,
  validateStrictly,
} from './support/k8s';
import {
  checkQueriesParse,
  expandAdapterTemplate,
  expandGrafanaVariables,
  exposedNames,
  metricNamesIn,
  PROMETHEUS_SERIES,
  promtool,
  registeredMetrics,
} from './support/promql';
import { readRepoFile, repoPath } from './support/repo';
import { describeWithTool } from './support/tools';

/**
 * Monitoring as shipped (k8s/components/monitoring, k8s/components/gateway-autoscaling): the
 * ServiceMonitors, PrometheusRule, Grafana dashboard and load-based HPA of every production
 * overlay validate strictly; every alert has a runbook section in docs/operations.md and a
 * promtool unit test; every metric a rule, panel or scaling query reads is one the code registers;
 * every query parses.
 */

const PROMETHEUS_DIR = repoPath('test', 'deploy', 'prometheus');
const DASHBOARD_FILE = repoPath('k8s', 'components', 'monitoring', 'dashboards', 'chat.json');
const ADAPTER_VALUES = repoPath('k8s', 'components', 'gateway-autoscaling', 'prometheus-adapter-values.yaml');
const OPERATIONS_DOC = 'docs/operations.md';

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Array<AlertRule & { record?: string }>;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: Array<{ expr: string; refId: string; legendFormat?: string }>;
}
interface AdapterRule {
  seriesQuery: string;
  metricsQuery: string;
  name: { matches: string; as: string };
  resources: { overrides: Record<string, { resource: string }> };
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings (outside fenced code). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (m) anchors.add(anchorOf(m[1]));
  }
  return anchors;
}

const dashboard = (): { uid: string; title: string; panels: Panel[]; templating: { list: any[] } } =>
  JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8'));
const queryPanels = () => dashboard().panels.filter((p) => p.type !== 'row');
const adapterRules = (): AdapterRule[] =>
  (parse(readFileSync(ADAPTER_VALUES, 'utf8')) as { rules: { custom: AdapterRule[] } }).rules.custom;
const seriesNameOf = (seriesQuery: string) => /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(seriesQuery)![1];

describe('the metric-name extractor', () => {
  it.each([
    ['up{job="auth"} == 0', ['up']],
    [
      'sum by (namespace, job) (rate(http_request_duration_seconds_count{status=~"5..", route!~"/(healthz|readyz)"}[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m])) > 0.05',
      ['http_request_duration_seconds_count'],
    ],
    [
      'histogram_quantile(0.99, sum by (le) (rate(gateway_command_duration_seconds_bucket{command="message:send"}[5m])))',
      ['gateway_command_duration_seconds_bucket'],
    ],
    [
      'event_bus_subscribed == 0 and on (namespace, pod) dependency_up{dependency="redis"} == 1',
      ['dependency_up', 'event_bus_subscribed'],
    ],
    // Label values and names that look like metrics or keywords are not metrics.
    ['a_total{by="on", le="1e3"} offset 5m unless ignoring (or) b_total', ['a_total', 'b_total']],
    ['absent(up{job="media"}) or sum(increase(x_total[1h:5m])) by (job)', ['up', 'x_total']],
  ])('reads %s', (expr, names) => {
    expect(metricNamesIn(expr)).toEqual(names);
  });
});

describe('metric names used by rules, dashboard and autoscaling are registered by the code', () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    exposed = exposedNames(await registeredMetrics());
  });
  const unknown = (names: string[]) => names.filter((n) => !exposed.has(n) && !PROMETHEUS_SERIES.has(n));

  it('finds the services’ metrics in their sources, and prom-client’s defaults', () => {
    for (const name of [
      'gateway_connected_sockets',
      'gateway_commands_total',
      'gateway_command_duration_seconds_bucket',
      'http_request_duration_seconds_count',
      'dependency_up',
      'service_ready',
      'event_bus_subscribed',
      'media_uploads_total',
      'auth_login_failures_total',
      'auth_refresh_token_reuse_total',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ])
      expect(exposed).toContain(name);
    // And reports a name nobody registers (a typo, or a metric that was renamed).
    expect(unknown(metricNamesIn('rate(gateway_command_total[5m]) > 0'))).toEqual(['gateway_command_total']);
  });

  it('in every alert of the PrometheusRule', () => {
    const rule = parse(readRepoFile('k8s', 'components', 'monitoring', 'prometheusrule.yaml')) as K8sObject;
    const bad = (rule.spec.groups as RuleGroup[]).flatMap((g) =>
      g.rules.flatMap((r) => unknown(metricNamesIn(r.expr)).map((n) => `${r.alert ?? r.record}: ${n}`)),
    );
    expect(bad).toEqual([]);
  });

  it('in every query of the dashboard', () => {
    const bad = queryPanels().flatMap((p) =>
      (p.targets ?? []).flatMap((t) =>
        unknown(metricNamesIn(expandGrafanaVariables(t.expr))).map((n) => `${p.title}/${t.refId}: ${n}`),
      ),
    );
    expect(bad).toEqual([]);
    const variables = dashboard().templating.list.filter((v) => v.type === 'query');
    for (const v of variables) {
      const metric = /label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(v.definition)?.[1];
      expect(metric && exposed.has(metric)).toBe(true);
    }
  });

  it('in the prometheus-adapter rules the gateway HPA scales on', () => {
    const bad = adapterRules().flatMap((r) => {
      const series = seriesNameOf(r.seriesQuery);
      return unknown([series, ...metricNamesIn(expandAdapterTemplate(r.metricsQuery, series))]);
    });
    expect(bad).toEqual([]);
  });
});

describe('the dashboard', () => {
  it('is a Grafana dashboard whose panels all query Prometheus through the chosen data source', () => {
    const d = dashboard();
    expect(d.uid).toBe('chat-overview');
    expect(d.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'namespace']));
    const ids = d.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const problems: string[] = [];
    for (const p of d.panels) {
      const { x, w, h } = p.gridPos;
      if (x < 0 || w < 1 || x + w > 24 || h < 1)
        problems.push(`${p.title}: gridPos ${JSON.stringify(p.gridPos)}`);
      if (p.type === 'row') continue;
      if (p.datasource?.uid !== '${datasource}') problems.push(`${p.title}: data source`);
      const targets = p.targets ?? [];
      if (targets.length === 0) problems.push(`${p.title}: no query`);
      if (new Set(targets.map((t) => t.refId)).size !== targets.length) problems.push(`${p.title}: refIds`);
      for (const t of targets) {
        if (!t.expr.trim()) problems.push(`${p.title}/${t.refId}: empty query`);
        // One namespace at a time: a panel summing two installations would mislead.
        if (!t.expr.includes('namespace="$namespace"')) problems.push(`${p.title}/${t.refId}: no namespace`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('covers each service’s golden signals, fan-out, the write batcher, media and logins', () => {
    const all = queryPanels()
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr)
      .join('\n');
    for (const needed of [
      'http_request_duration_seconds_count',
      'status=~"5.."',
      'http_request_duration_seconds_bucket',
      'service_ready',
      'dependency_up',
      'nodejs_eventloop_lag_p99_seconds',
      'process_cpu_seconds_total',
      'gateway_connected_sockets',
      'gateway_commands_total',
      'command="message:send"',
      'gateway_events_fanned_out_total',
      'gateway_broadcast_slice_sockets_bucket',
      'gateway_message_write_batch_size',
      'gateway_message_write_batch_channels',
      'gateway_messages_persisted_total',
      'media_uploads_total',
      'media_parser_jobs_total',
      'auth_login_failures_total',
      'auth_refresh_token_reuse_total',
    ])
      expect(all).toContain(needed);
    expect(all).toMatch(/job=~"auth\|gateway\|media"/);
  });
});

describe('alerts and their runbooks', () => {
  const rule = () =>
    parse(readRepoFile('k8s', 'components', 'monitoring', 'prometheusrule.yaml')) as K8sObject;
  const alerts = (): AlertRule[] =>
    (rule().spec.groups as RuleGroup[]).flatMap((g) => g.rules).filter((r) => r.alert);

  it('covers what an on-call engineer must hear about', () => {
    const exprs = alerts()
      .map((a) => a.expr)
      .join('\n');
    for (const needed of [
      'up{', // down
      'service_ready', // not ready
      'status=~"5.."', // error ratio
      'command="message:send"', // send→ack p99
      'gateway_connected_sockets', // sockets per replica
      'dependency="database"',
      'dependency="redis"',
      'auth_login_failures_total',
      'auth_refresh_token_reuse_total',
      'media_uploads_total',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(exprs).toContain(needed);
  });

  it('gives every alert a severity, a summary, a description and a runbook_url to its own section of docs/operations.md', () => {
    const anchors = headingAnchors(readRepoFile(OPERATIONS_DOC));
    const problems: string[] = [];
    const names = alerts().map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const a of alerts()) {
      if (!['critical', 'warning'].includes(a.labels?.severity ?? '')) problems.push(`${a.alert}: severity`);
      if (!a.annotations?.summary || !a.annotations.description)
        problems.push(`${a.alert}: summary/description`);
      const url = a.annotations?.runbook_url ?? '';
      const m = /^https:\/\/[^#\s]+\/docs\/operations\.md#([^#\s]+)$/.exec(url);
      if (!m) {
        problems.push(`${a.alert}: runbook_url ${url}`);
        continue;
      }
      if (!anchors.has(m[1])) problems.push(`${a.alert}: no heading for #${m[1]} in ${OPERATIONS_DOC}`);
      if (m[1] !== anchorOf(a.alert)) problems.push(`${a.alert}: links #${m[1]}, not its own section`);
    }
    expect(problems).toEqual([]);
  });

  it('finds a broken runbook link', () => {
    const anchors = headingAnchors(readRepoFile(OPERATIONS_DOC));
    expect(anchors.has('chatservicedown')).toBe(true);
    expect(anchors.has('chatservicedwn')).toBe(false);
    // A heading-like line inside a code block is not a heading.
    expect(headingAnchors('```\n# not-a-heading\n```\n## Real one').has('not-a-heading')).toBe(false);
    expect(headingAnchors('## Real one, really!').has('real-one-really')).toBe(true);
  });
});

describeWithTool(
  'kubectl',
  'kubectl, with its built-in kustomize',
  'monitoring in the rendered overlays',
  () => {
    const production = overlayNames().filter((o) => o.startsWith('production'));
    const rendered = new Map<string, K8sObject[]>();
    const objectsOf = (overlay: string): K8sObject[] => {
      if (!rendered.has(overlay)) rendered.set(overlay, render(join(OVERLAYS_DIR, overlay)));
      return rendered.get(overlay)!;
    };
    const MONITORING_KINDS = ['ServiceMonitor', 'PrometheusRule', 'HorizontalPodAutoscaler'];

    it('has production overlays', () => {
      expect(production).toEqual(expect.arrayContaining(['production', 'production-ingress']));
    });

    describe.each(production)('overlay %s', (overlay) => {
      it('scrapes auth, gateway and media, alerts, and ships the dashboard, all strictly valid', () => {
        const objs = objectsOf(overlay);
        for (const name of ['auth', 'gateway', 'media']) get(objs, 'ServiceMonitor', name);
        get(objs, 'PrometheusRule', 'chat');
        const cm = get(objs, 'ConfigMap', 'grafana-dashboard-chat');
        expect(cm.metadata.labels).toMatchObject({ grafana_dashboard: '1' });
        expect(cm.metadata.namespace).toBe('chat');
        // Byte for byte the committed file: the dashboard has one source.
        expect(cm.data['chat.json']).toBe(readFileSync(DASHBOARD_FILE, 'utf8'));
        const relevant = objs.filter(
          (o) => MONITORING_KINDS.includes(o.kind) || o.metadata.name === 'grafana-dashboard-chat',
        );
        expect(validateStrictly(relevant)).toEqual([]);
      });

      it('points each ServiceMonitor at a rendered Service, on a port it has, at the apps’ /metrics', () => {
        const objs = objectsOf(overlay);
        const problems: string[] = [];
        for (const sm of objs.filter((o) => o.kind === 'ServiceMonitor')) {
          const selector: Record<string, string> = sm.spec.selector.matchLabels;
          const services = objs.filter(
            (o) =>
              o.kind === 'Service' &&
              Object.entries(selector).every(([k, v]) => o.metadata.labels?.[k] === v),
          );
          if (services.length !== 1)
            problems.push(`ServiceMonitor/${sm.metadata.name} selects ${services.length} Services`);
          for (const ep of sm.spec.endpoints) {
            if (ep.path !== '/metrics') problems.push(`ServiceMonitor/${sm.metadata.name}: path ${ep.path}`);
            for (const svc of services)
              if (!svc.spec.ports.some((p: { name?: string }) => p.name === ep.port))
                problems.push(
                  `ServiceMonitor/${sm.metadata.name}: Service/${svc.metadata.name} has no port ${ep.port}`,
                );
          }
        }
        // Prometheus (namespace `monitoring`) may reach those ports.
        const policy = get(objs, 'NetworkPolicy', 'metrics-from-monitoring');
        const allowed = policy.spec.ingress[0].ports.map((p: { port: number }) => p.port);
        for (const name of ['auth', 'gateway', 'media'])
          for (const p of get(objs, 'Service', name).spec.ports)
            if (!allowed.includes(p.port))
              problems.push(`metrics-from-monitoring does not admit ${name}:${p.port}`);
        expect(problems).toEqual([]);
      });

      it('scales the gateways on sockets, commands and CPU, never on memory, and scales in one pod at a time', () => {
        const objs = objectsOf(overlay);
        const hpa = get(objs, 'HorizontalPodAutoscaler', 'gateway');
        const metrics: any[] = hpa.spec.metrics;
        expect(metrics.some((m) => m.resource?.name === 'memory')).toBe(false);
        expect(metrics.find((m) => m.resource?.name === 'cpu')).toBeDefined();
        const pods = metrics.filter((m) => m.type === 'Pods').map((m) => m.pods.metric.name);
        expect(pods.sort()).toEqual(['gateway_commands_per_second', 'gateway_connected_sockets']);
        // What the HPA asks for is what the adapter serves.
        expect(pods).toEqual(expect.arrayContaining(adapterRules().map((r) => r.name.as)));
        expect(
          adapterRules()
            .map((r) => r.name.as)
            .sort(),
        ).toEqual(pods.sort());
        // The series the adapter reads come from the gateway's ServiceMonitor (namespace and pod labels).
        get(objs, 'ServiceMonitor', 'gateway');
        for (const r of adapterRules()) {
          expect(r.resources.overrides).toEqual({
            namespace: { resource: 'namespace' },
            pod: { resource: 'pod' },
          });
          expect(r.seriesQuery).toMatch(/namespace!="",pod!=""/);
        }
        // Scale-in moves a replica's sockets: one pod at a time, after a long quiet period.
        const down = hpa.spec.behavior.scaleDown;
        expect(down.stabilizationWindowSeconds).toBeGreaterThanOrEqual(300);
        expect(down.policies).toEqual([expect.objectContaining({ type: 'Pods', value: 1 })]);
        expect(down.policies[0].periodSeconds).toBeGreaterThanOrEqual(60);
        expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
      });
    });

    it('aims the socket target well below the alert threshold, so survivors absorb a drained replica', () => {
      const objs = objectsOf('production');
      const target = Number(
        get(objs, 'HorizontalPodAutoscaler', 'gateway').spec.metrics.find(
          (m: any) => m.pods?.metric.name === 'gateway_connected_sockets',
        ).pods.target.averageValue,
      );
      const alert = (get(objs, 'PrometheusRule', 'chat').spec.groups as RuleGroup[])
        .flatMap((g) => g.rules)
        .find((r) => r.alert === 'ChatGatewaySocketsNearLimit')!;
      const threshold = Number(/>\s*(\d+)/.exec(alert.expr)![1]);
      const minReplicas: number = get(objs, 'HorizontalPodAutoscaler', 'gateway').spec.minReplicas;
      // At the target on minReplicas, losing one replica keeps the others under the alert.
      expect((target * minReplicas) / (minReplicas - 1)).toBeLessThan(threshold);
    });

    it('the dev overlay (no Prometheus on a laptop) has none of it', () => {
      const dev = objectsOf('dev');
      expect(dev.filter((o) => ['ServiceMonitor', 'PrometheusRule'].includes(o.kind))).toEqual([]);
      expect(find(dev, 'ConfigMap', 'grafana-dashboard-chat')).toBeUndefined();
    });
  },
);

describe('the strict CRD check can fail', () => {
  const monitor = (): K8sObject => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: 'gateway', namespace: 'chat' },
    spec: {
      selector: { matchLabels: { app: 'x' } },
      endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }],
    },
  });
  const rule = (): K8sObject => ({
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'chat' },
    spec: {
      groups: [
        { name: 'g', rules: [{ alert: 'A', expr: 'up == 0', for: '5m', labels: { severity: 'warning' } }] },
      ],
    },
  });

  it('accepts well-formed objects', () => {
    expect(validateCustomResources([monitor(), rule()])).toEqual([]);
  });

  it.each([
    ['a typo in an endpoint', (o: K8sObject) => (o.spec.endpoints[0].intervall = '15s'), "'intervall'"],
    ['a typo in the spec', (o: K8sObject) => (o.spec.selectr = {}), "'selectr'"],
    ['a typo in metadata', (o: K8sObject) => (o.metadata.labelz = {}), "'labelz'"],
    ['a bad interval', (o: K8sObject) => (o.spec.endpoints[0].interval = '15 seconds'), 'must match pattern'],
    ['a bad scheme', (o: K8sObject) => (o.spec.endpoints[0].scheme = 'ftp'), 'allowed values'],
    ['a number as a port name', (o: K8sObject) => (o.spec.endpoints[0].port = 3002), 'must be string'],
  ])('rejects a ServiceMonitor with %s', (_what, breakIt, message) => {
    const o = monitor();
    breakIt(o);
    const errors = validateCustomResources([o]);
    expect(errors.map((e) => e.object)).toContain('ServiceMonitor/gateway');
    expect(errors.map((e) => e.message).join('\n')).toContain(message);
  });

  it.each([
    ['a typo in a rule', (o: K8sObject) => (o.spec.groups[0].rules[0].annotation = {}), "'annotation'"],
    [
      'a bad for duration',
      (o: K8sObject) => (o.spec.groups[0].rules[0].for = '5 minutes'),
      'must match pattern',
    ],
    [
      'a rule without expr',
      (o: K8sObject) => delete o.spec.groups[0].rules[0].expr,
      "must have required property 'expr'",
    ],
    [
      'a group without a name',
      (o: K8sObject) => delete o.spec.groups[0].name,
      "must have required property 'name'",
    ],
  ])('rejects a PrometheusRule with %s', (_what, breakIt, message) => {
    const o = rule();
    breakIt(o);
    expect(
      validateCustomResources([o])
        .map((e) => e.message)
        .join('\n'),
    ).toContain(message);
  });

  it('rejects a kind or version no pinned CRD declares', () => {
    const podMonitor = { ...monitor(), kind: 'PodMonitor' };
    expect(validateStrictly([podMonitor]).map((e) => e.message)).toEqual([
      'no pinned schema for monitoring.coreos.com/v1 PodMonitor',
    ]);
    const v2 = { ...monitor(), apiVersion: 'monitoring.coreos.com/v2' };
    expect(validateStrictly([v2]).map((e) => e.message)).toEqual([
      'no pinned schema for monitoring.coreos.com/v2 ServiceMonitor',
    ]);
  });
});

describeWithTool('promtool', "Debian's prometheus package (apt-get install prometheus)", 'promtool', () => {
  const ruleGroups = (): RuleGroup[] =>
    (parse(readRepoFile('k8s', 'components', 'monitoring', 'prometheusrule.yaml')) as K8sObject).spec.groups;
  const testFiles = readdirSync(PROMETHEUS_DIR).filter((f) => f.endsWith('.test.yml'));

  /** The rule tests, against `groups` as chat.rules.yml (the name the test files load). */
  const runRuleTests = (groups: RuleGroup[]) => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-rules-'));
    writeFileSync(join(dir, 'chat.rules.yml'), stringify({ groups }));
    for (const f of testFiles) copyFileSync(join(PROMETHEUS_DIR, f), join(dir, f));
    return promtool(['test', 'rules', ...testFiles], dir);
  };

  it('accepts the rules (check rules: syntax, durations, templates)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-rules-'));
    writeFileSync(join(dir, 'chat.rules.yml'), stringify({ groups: ruleGroups() }));
    const r = promtool(['check', 'rules', 'chat.rules.yml'], dir);
    expect(r.output).toContain('SUCCESS');
    expect(r.status).toBe(0);
  });

  it('passes the rule unit tests (test/deploy/prometheus/*.test.yml)', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    const r = runRuleTests(ruleGroups());
    expect(r.output).not.toContain('FAILED');
    expect(r.status).toBe(0);
  });

  it('tests every alert firing at least once', () => {
    const fired = new Set<string>();
    for (const f of testFiles) {
      const t = parse(readFileSync(join(PROMETHEUS_DIR, f), 'utf8')) as {
        rule_files: string[];
        tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
      };
      expect(t.rule_files).toEqual(['chat.rules.yml']);
      for (const test of t.tests)
        for (const a of test.alert_rule_test ?? []) if (a.exp_alerts.length > 0) fired.add(a.alertname);
    }
    const alerts = ruleGroups()
      .flatMap((g) => g.rules)
      .map((r) => r.alert)
      .filter(Boolean);
    expect(alerts.filter((a) => !fired.has(a))).toEqual([]);
  });

  it.each([
    ['a threshold', 'ChatHighErrorRatio', (r: AlertRule) => (r.expr = r.expr.replace('> 0.05', '> 0.5'))],
    ['a duration', 'ChatPostgresUnavailable', (r: AlertRule) => (r.for = '10m')],
    ['a severity', 'ChatLoginFailureSpike', (r: AlertRule) => (r.labels = { severity: 'critical' })],
    ['a runbook link', 'ChatRefreshTokenReuse', (r: AlertRule) => (r.annotations!.runbook_url += 'x')],
    [
      'the socket-limit threshold',
      'ChatGatewaySocketsNearLimit',
      (r: AlertRule) => (r.expr = r.expr.replace('16000', '18000')),
    ],
  ])('fails the unit tests when %s changes (%s)', (_what, alert, change) => {
    const groups = ruleGroups();
    const rule = groups.flatMap((g) => g.rules).find((r) => r.alert === alert)!;
    change(rule);
    const r = runRuleTests(groups);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain(`alertname: ${alert}`);
  });

  it('parses every query of the dashboard and the adapter rules', () => {
    const queries = [
      ...queryPanels().flatMap((p) =>
        (p.targets ?? []).map((t) => ({
          label: `${p.title}/${t.refId}`,
          expr: expandGrafanaVariables(t.expr),
        })),
      ),
      ...adapterRules().map((r) => ({
        label: `adapter ${r.name.as}`,
        expr: expandAdapterTemplate(r.metricsQuery, seriesNameOf(r.seriesQuery)),
      })),
      ...adapterRules().map((r) => ({ label: `adapter series ${r.name.as}`, expr: r.seriesQuery })),
    ];
    expect(queries.length).toBeGreaterThan(30);
    const r = checkQueriesParse(queries);
    expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(r.status).toBe(0);
  });

  it('reports a query that does not parse, naming it', () => {
    const r = checkQueriesParse([
      { label: 'fine', expr: 'sum(rate(gateway_commands_total[1m]))' },
      { label: 'Broken panel/A', expr: 'sum(rate(gateway_commands_total[1m])' },
    ]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('Broken panel/A');
  });
});
