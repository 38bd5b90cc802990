import {
  type K8sObject,
  containerEnv,
  find,
  get,
  overlayNames,
  podSpecOf,
  render,
  OVERLAYS_DIR,
  schemaValidate,
  strictTypeCheck,
  validateStrictly,
} from './support/k8s';
import { describeWithTool } from './support/tools';
import { parseSentinelUrl } from '../../libs/platform/src/redis/sentinel-url';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './support/repo';

/**
 * The Kubernetes manifests: every overlay renders with kubectl's built-in kustomize, every
 * rendered object validates STRICTLY against the pinned Kubernetes / Gateway API schemas (kubernetes-models 5.1.0, @kubernetes-models/gateway-api 2.0.0)
 * (unknown fields fail), references resolve, and the production rules of the brief hold
 * (probes, security context, spread, shutdown budget, HPA/PDB, default-deny network policies).
 */

const BROKEN_DEPLOYMENT = (): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'broken' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'x' } },
    template: {
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'x', image: 'x', ports: [{ containerPort: 80 }] }] },
    },
  },
});

describe('the strict schema check can fail', () => {
  it('accepts a well-formed Deployment', () => {
    expect(validateStrictly([BROKEN_DEPLOYMENT()])).toEqual([]);
  });

  it.each([
    ['a typo at the top of the spec', (d: K8sObject) => (d.spec.replicass = 2), 'replicass'],
    [
      'a typo in a container',
      (d: K8sObject) => (d.spec.template.spec.containers[0].imagePullPolicyy = 'Always'),
      'imagePullPolicyy',
    ],
    ['a typo in metadata', (d: K8sObject) => (d.metadata.labelz = { a: 'b' }), 'labelz'],
    [
      'a typo in a probe',
      (d: K8sObject) =>
        (d.spec.template.spec.containers[0].readinessProbe = {
          httpGet: { path: '/readyz', port: 80, pathh: 1 },
        }),
      'pathh',
    ],
    [
      'a typo in the security context',
      (d: K8sObject) => (d.spec.template.spec.securityContext = { runAsNonroot: true }),
      'runAsNonroot',
    ],
  ])('rejects %s', (_what, breakIt, field) => {
    const d = BROKEN_DEPLOYMENT();
    breakIt(d);
    const errors = strictTypeCheck([d]);
    expect(errors).toHaveLength(1);
    expect(errors[0].object).toBe('Deployment/broken');
    expect(errors[0].message).toContain(field);
  });

  it('rejects a wrong type and a wrong enum value', () => {
    const d = BROKEN_DEPLOYMENT();
    d.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(
      strictTypeCheck([d])
        .map((e) => e.message)
        .join(),
    ).toMatch(/not assignable/);
    expect(
      schemaValidate([d])
        .map((e) => e.message)
        .join(),
    ).toMatch(/containerPort must be integer/);
    const route: K8sObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: { rules: [{ matches: [{ path: { type: 'PathPrefixx', value: '/' } }] }] },
    };
    expect(validateStrictly([route]).length).toBeGreaterThan(0);
  });

  it('rejects a typo in a Gateway API object and an unknown kind', () => {
    const route: K8sObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'r' },
      spec: { rules: [{ matchez: [] }] },
    };
    expect(strictTypeCheck([route])[0].message).toContain('matchez');
    const unknown: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    expect(validateStrictly([unknown]).map((e) => e.message)).toContain(
      'no pinned schema for example.com/v1 Widget',
    );
  });
});

describeWithTool('kubectl', 'kubectl, with its built-in kustomize', 'k8s overlays', () => {
  const overlays = overlayNames();
  const rendered = new Map<string, K8sObject[]>();
  const objectsOf = (overlay: string): K8sObject[] => {
    if (!rendered.has(overlay)) rendered.set(overlay, render(join(OVERLAYS_DIR, overlay)));
    return rendered.get(overlay)!;
  };

  it('fails an overlay whose manifest has a typo (end to end: render, then validate)', () => {
    const copy = mkdtempSync(join(tmpdir(), 'chat-k8s-'));
    cpSync(repoPath('k8s'), copy, { recursive: true });
    const file = join(copy, 'base', 'gateway.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:'));
    const errors = validateStrictly(render(join(copy, 'overlays', 'production')));
    expect(errors.map((e) => `${e.object}: ${e.message}`).join('\n')).toMatch(
      /Deployment\/gateway: .*terminationGracePeriodSecond/,
    );
  });

  it('has the dev and production overlays and an Ingress variant', () => {
    expect(overlays).toEqual(expect.arrayContaining(['dev', 'production', 'production-ingress']));
  });

  describe.each(overlays)('overlay %s', (overlay) => {
    it('renders', () => {
      expect(objectsOf(overlay).length).toBeGreaterThan(10);
    });

    it('validates strictly against the pinned Kubernetes and Gateway API schemas', () => {
      expect(validateStrictly(objectsOf(overlay))).toEqual([]);
    });

    it('puts every object in the chat namespace', () => {
      const stray = objectsOf(overlay)
        .filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'chat')
        .map((o) => `${o.kind}/${o.metadata.name}`);
      expect(stray).toEqual([]);
      expect(get(objectsOf(overlay), 'Namespace', 'chat').metadata.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
      });
    });

    it('resolves every reference to a ConfigMap, Secret, Service and scale target', () => {
      const objs = objectsOf(overlay);
      const missing: string[] = [];
      const need = (kind: string, name: string, from: string) => {
        if (!find(objs, kind, name)) missing.push(`${from} -> ${kind}/${name}`);
      };
      for (const o of objs) {
        const pod = podSpecOf(o);
        if (!pod) continue;
        const from = `${o.kind}/${o.metadata.name}`;
        for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) {
          for (const src of c.envFrom ?? []) {
            if (src.configMapRef) need('ConfigMap', src.configMapRef.name, from);
            if (src.secretRef) need('Secret', src.secretRef.name, from);
          }
          for (const e of c.env ?? []) {
            if (e.valueFrom?.secretKeyRef) need('Secret', e.valueFrom.secretKeyRef.name, from);
            if (e.valueFrom?.configMapKeyRef) need('ConfigMap', e.valueFrom.configMapKeyRef.name, from);
          }
        }
        if (pod.serviceAccountName) need('ServiceAccount', pod.serviceAccountName, from);
      }
      for (const hpa of objs.filter((o) => o.kind === 'HorizontalPodAutoscaler'))
        need(hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name, `HPA/${hpa.metadata.name}`);
      for (const route of objs.filter((o) => o.kind === 'HTTPRoute')) {
        for (const p of route.spec.parentRefs ?? [])
          need('Gateway', p.name, `HTTPRoute/${route.metadata.name}`);
        for (const rule of route.spec.rules ?? [])
          for (const b of rule.backendRefs ?? []) {
            const svc = find(objs, 'Service', b.name);
            if (!svc || !svc.spec.ports.some((p: { port: number }) => p.port === b.port))
              missing.push(`HTTPRoute/${route.metadata.name} -> Service/${b.name}:${b.port}`);
          }
      }
      for (const ing of objs.filter((o) => o.kind === 'Ingress'))
        for (const rule of ing.spec.rules ?? [])
          for (const p of rule.http.paths) {
            const { name, port } = p.backend.service;
            const svc = find(objs, 'Service', name);
            if (!svc || !svc.spec.ports.some((sp: { port: number }) => sp.port === port.number))
              missing.push(`Ingress/${ing.metadata.name} -> Service/${name}:${port.number}`);
          }
      // Services select pods that exist, on a named port those pods declare.
      for (const svc of objs.filter((o) => o.kind === 'Service')) {
        const owners = objs.filter((o) => {
          const labels = o.spec?.template?.metadata?.labels ?? {};
          return podSpecOf(o) && Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v);
        });
        if (owners.length === 0) missing.push(`Service/${svc.metadata.name} selects no pods`);
        for (const p of svc.spec.ports) {
          if (typeof p.targetPort !== 'string') continue;
          const declared = owners.some((o) =>
            podSpecOf(o).containers.some((c: any) =>
              (c.ports ?? []).some((cp: any) => cp.name === p.targetPort),
            ),
          );
          if (!declared)
            missing.push(`Service/${svc.metadata.name} targetPort ${p.targetPort} is not declared`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('runs every container non-root, without privilege escalation or capabilities, read-only, seccomp', () => {
      const bad: string[] = [];
      for (const o of objectsOf(overlay)) {
        const pod = podSpecOf(o);
        if (!pod) continue;
        const where = `${o.kind}/${o.metadata.name}`;
        if (pod.securityContext?.runAsNonRoot !== true) bad.push(`${where}: runAsNonRoot`);
        if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
          bad.push(`${where}: seccompProfile`);
        if (pod.automountServiceAccountToken !== false) bad.push(`${where}: automountServiceAccountToken`);
        // Otherwise a Service `auth` injects AUTH_PORT=tcp://..., which the apps read as a setting.
        if (pod.enableServiceLinks !== false) bad.push(`${where}: enableServiceLinks`);
        for (const c of pod.containers) {
          const sc = c.securityContext ?? {};
          if (sc.allowPrivilegeEscalation !== false) bad.push(`${where}/${c.name}: allowPrivilegeEscalation`);
          if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]')
            bad.push(`${where}/${c.name}: capabilities`);
          if (sc.readOnlyRootFilesystem !== true) bad.push(`${where}/${c.name}: readOnlyRootFilesystem`);
          const tmp = (c.volumeMounts ?? []).some((m: { mountPath: string }) => m.mountPath === '/tmp');
          if (!tmp) bad.push(`${where}/${c.name}: no writable /tmp`);
          if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
            bad.push(`${where}/${c.name}: requests/limits`);
          if (/:latest$|^[^:]+$/.test(c.image))
            bad.push(`${where}/${c.name}: image ${c.image} is not pinned`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('probes every long-running container, and spreads the services across nodes and zones', () => {
      const bad: string[] = [];
      for (const o of objectsOf(overlay).filter((x) => ['Deployment', 'StatefulSet'].includes(x.kind))) {
        const pod = podSpecOf(o);
        for (const c of pod.containers)
          for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
            if (!c[probe] && !(probe === 'startupProbe' && o.metadata.name === 'redis'))
              bad.push(`${o.kind}/${o.metadata.name}/${c.name}: ${probe}`);
        if (['auth', 'gateway', 'media', 'web'].includes(o.metadata.name)) {
          const keys = (pod.topologySpreadConstraints ?? []).map(
            (t: { topologyKey: string }) => t.topologyKey,
          );
          if (!keys.includes('kubernetes.io/hostname') || !keys.includes('topology.kubernetes.io/zone'))
            bad.push(`${o.kind}/${o.metadata.name}: topologySpreadConstraints`);
        }
      }
      expect(bad).toEqual([]);
    });

    it('drains the gateway: preStop sleep, then SHUTDOWN_GRACE_MS, within terminationGracePeriodSeconds', () => {
      const objs = objectsOf(overlay);
      const pod = podSpecOf(get(objs, 'Deployment', 'gateway'));
      const config = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('chat-config'))!;
      const graceMs = Number(config.data.SHUTDOWN_GRACE_MS ?? 10_000);
      const preStop: string[] = pod.containers[0].lifecycle.preStop.exec.command;
      expect(preStop[0]).toBe('sleep');
      const sleepMs = Number(preStop[1]) * 1000;
      expect(sleepMs).toBeGreaterThanOrEqual(5000);
      // Room for closing sockets and exiting after the drain.
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(sleepMs + graceMs + 10_000);
    });

    it('autoscales the gateway (HPA, at least 3 replicas) and guards it with a PDB', () => {
      const objs = objectsOf(overlay);
      const gw = get(objs, 'Deployment', 'gateway');
      expect(gw.spec.replicas).toBeUndefined(); // the HPA owns the count
      const hpa = get(objs, 'HorizontalPodAutoscaler', 'gateway');
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(3);
      expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
      const pdb = get(objs, 'PodDisruptionBudget', 'gateway');
      expect(pdb.spec.selector.matchLabels).toEqual(gw.spec.selector.matchLabels);
    });

    it('denies all traffic by default and runs the migration as a Job', () => {
      const objs = objectsOf(overlay);
      const deny = get(objs, 'NetworkPolicy', 'default-deny');
      expect(deny.spec.podSelector).toEqual({});
      expect(deny.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      // Named after the release (migrate-<tag>): see k8s-operations.spec.ts.
      const job = objs.find(
        (o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/name'] === 'migrate',
      )!;
      expect(podSpecOf(job).containers[0].args).toEqual(['migrate']);
      // Every routed service admits traffic from the edge.
      const edge = get(objs, 'NetworkPolicy', 'edge-to-services');
      expect(edge.spec.podSelector.matchExpressions[0].values).toEqual(
        expect.arrayContaining(['auth', 'gateway', 'media', 'web']),
      );
    });
  });

  it('dev runs the stores in the cluster on volumes; production has none of them', () => {
    const dev = objectsOf('dev');
    expect(get(dev, 'StatefulSet', 'postgres').spec.volumeClaimTemplates).toHaveLength(1);
    expect(get(dev, 'StatefulSet', 'seaweedfs').spec.volumeClaimTemplates).toHaveLength(1);
    get(dev, 'Deployment', 'redis');
    for (const overlay of ['production', 'production-ingress']) {
      const prod = objectsOf(overlay);
      expect(
        ['postgres', 'seaweedfs', 'redis'].filter(
          (n) => find(prod, 'StatefulSet', n) || find(prod, 'Deployment', n),
        ),
      ).toEqual([]);
      expect(get(prod, 'HorizontalPodAutoscaler', 'gateway').spec.minReplicas).toBeGreaterThan(
        get(dev, 'HorizontalPodAutoscaler', 'gateway').spec.minReplicas,
      );
    }
  });

  it('routes with a Gateway API HTTPRoute (with a Gateway parent) or, in the Ingress variant, Ingress', () => {
    const prod = objectsOf('production');
    const route = get(prod, 'HTTPRoute', 'chat');
    expect(route.spec.parentRefs[0]).toMatchObject({ name: 'chat', sectionName: 'https' });
    get(prod, 'Gateway', 'chat');
    expect(prod.some((o) => o.kind === 'Ingress')).toBe(false);
    const ing = objectsOf('production-ingress');
    expect(ing.filter((o) => o.kind === 'Ingress').length).toBeGreaterThan(0);
    expect(ing.some((o) => o.kind === 'HTTPRoute' || o.kind === 'Gateway')).toBe(false);
  });
});

/**
 * k8s/components/redis-sentinel (Redis with automatic failover in the cluster), rendered as an
 * operator would use it: the production overlay with the component added. No shipped overlay
 * includes it, so it is checked here with the same strict schemas and pod rules as the overlays.
 */
describeWithTool('kubectl', 'kubectl, with its built-in kustomize', 'k8s redis-sentinel component', () => {
  let objs: K8sObject[] = [];
  beforeAll(() => {
    const copy = mkdtempSync(join(tmpdir(), 'chat-k8s-sentinel-'));
    cpSync(repoPath('k8s'), copy, { recursive: true });
    const overlay = join(copy, 'overlays', 'production');
    const text = readFileSync(join(overlay, 'kustomization.yaml'), 'utf8');
    expect(text).toContain('  - ../../components/production\n');
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      text.replace(
        '  - ../../components/production\n',
        '  - ../../components/production\n  - ../../components/redis-sentinel\n',
      ),
    );
    objs = render(overlay);
  });
  const sts = () => get(objs, 'StatefulSet', 'redis-ha');
  const config = () => containerEnv(objs, podSpecOf(sts()).containers[0]);

  it('validates strictly, and runs restricted: non-root, read-only, no capabilities, seccomp, limits, probes', () => {
    expect(validateStrictly(objs)).toEqual([]);
    const pod = podSpecOf(sts());
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect([pod.automountServiceAccountToken, pod.enableServiceLinks]).toEqual([false, false]);
    expect(pod.containers.map((c: any) => c.name)).toEqual(['redis', 'sentinel']);
    for (const c of pod.containers) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(
        c.resources.requests.cpu && c.resources.requests.memory && c.resources.limits.memory,
      ).toBeTruthy();
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(c[probe]).toBeDefined();
      expect(c.volumeMounts.map((m: any) => m.mountPath)).toContain('/tmp');
      // The same Redis as docker-compose.yml and the in-cluster store.
      expect(c.image).toBe('redis:7.4.6-bookworm');
    }
    expect(get(objs, 'Namespace', 'chat').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(objs.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== 'chat')).toEqual([]);
  });

  it('runs three data nodes and three sentinels (a majority quorum), one pod down at a time', () => {
    const set = sts();
    const env = config();
    expect(set.spec.replicas).toBe(3);
    expect(Number(env.REPLICAS)).toBe(set.spec.replicas);
    expect(env.STATEFULSET).toBe(set.metadata.name);
    expect(Number(env.QUORUM)).toBeGreaterThan(set.spec.replicas / 2);
    expect(Number(env.QUORUM)).toBeLessThanOrEqual(set.spec.replicas);
    // The names the nodes announce resolve through a headless Service, even before they are ready.
    const headless = get(objs, 'Service', env.HEADLESS_SERVICE);
    expect(set.spec.serviceName).toBe(headless.metadata.name);
    expect(headless.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(headless.spec.ports.map((p: any) => p.port).sort()).toEqual([26379, 6379]);
    const pdb = get(objs, 'PodDisruptionBudget', 'redis-ha');
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(set.spec.selector.matchLabels);
    // A master that is stopped hands over first, within the grace period.
    const redis = podSpecOf(set).containers[0];
    expect(redis.lifecycle.preStop.exec.command).toEqual(['/bin/sh', '/scripts/prestop.sh']);
    expect(podSpecOf(set).terminationGracePeriodSeconds).toBeGreaterThan(20);
  });

  it('gives the services a Sentinel REDIS_URL naming every sentinel, the master and the password', () => {
    const env = config();
    for (const app of ['auth', 'gateway', 'media']) {
      const appEnv = containerEnv(objs, podSpecOf(get(objs, 'Deployment', app)).containers[0]);
      const address = parseSentinelUrl(appEnv.REDIS_URL);
      expect(address.sentinels).toEqual(
        Array.from({ length: Number(env.REPLICAS) }, (_, i) => ({
          host: `${env.STATEFULSET}-${i}.${env.HEADLESS_SERVICE}`,
          port: 26379,
        })),
      );
      expect(address.masterName).toBe(env.MASTER_NAME);
      expect([address.password, address.sentinelPassword]).toEqual([env.REDIS_PASSWORD, env.REDIS_PASSWORD]);
    }
    const gatewayEnv = containerEnv(objs, podSpecOf(get(objs, 'Deployment', 'gateway')).containers[0]);
    expect(loadGatewayConfig(gatewayEnv).redis.url).toBe(gatewayEnv.REDIS_URL);
  });

  it('lets only auth, gateway, media and the redis-ha pods themselves reach the pods, on 6379 and 26379', () => {
    const ports = (rule: any) => rule.ports.map((p: any) => p.port).sort();
    const inbound = get(objs, 'NetworkPolicy', 'redis-ha-from-services-and-peers');
    expect(inbound.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'redis-ha' });
    expect(inbound.spec.ingress).toHaveLength(1);
    expect(inbound.spec.ingress[0].from[0].podSelector.matchExpressions[0].values.sort()).toEqual([
      'auth',
      'gateway',
      'media',
      'redis-ha',
    ]);
    expect(ports(inbound.spec.ingress[0])).toEqual([26379, 6379]);
    const peers = get(objs, 'NetworkPolicy', 'redis-ha-to-peers');
    expect(peers.spec.egress[0].to).toEqual([
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'redis-ha' } } },
    ]);
    const out = get(objs, 'NetworkPolicy', 'services-to-redis-ha');
    expect(out.spec.podSelector.matchExpressions[0].values.sort()).toEqual(['auth', 'gateway', 'media']);
    expect(ports(out.spec.egress[0])).toEqual([26379, 6379]);
  });

  it('ships start scripts the shell can run, which find the master through the sentinels', () => {
    const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('redis-ha-config'))!;
    for (const script of ['redis.sh', 'sentinel.sh', 'prestop.sh']) {
      const parsed = spawnSync('sh', ['-n'], { input: cm.data[script], encoding: 'utf8' });
      expect({ script, stderr: parsed.stderr, status: parsed.status }).toEqual({
        script,
        stderr: '',
        status: 0,
      });
    }
    expect(cm.data['redis.sh']).toContain('sentinel get-master-addr-by-name "$MASTER_NAME"');
    expect(cm.data['redis.sh']).toContain('--replica-announce-ip "$me"');
    expect(cm.data['sentinel.sh']).toContain('sentinel monitor $MASTER_NAME $master 6379 $QUORUM');
    expect(cm.data['prestop.sh']).toContain('sentinel failover "$MASTER_NAME"');
  });
});
