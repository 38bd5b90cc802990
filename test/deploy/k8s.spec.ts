import {
  type K8sObject,
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
      const job = get(objs, 'Job', 'migrate');
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
