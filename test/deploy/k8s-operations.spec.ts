import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  containerEnv,
  get,
  type K8sObject,
  overlayNames,
  OVERLAYS_DIR,
  podSpecOf,
  render,
} from './support/k8s';
import { repoPath } from './support/repo';
import { describeWithTool } from './support/tools';

/**
 * Operations components of the production overlays (issue #20, items 5 and 7): PgBouncer between the
 * services and Postgres, sized against Postgres's connections; the nightly pg_dump CronJob; and a
 * migration Job that every `kubectl apply -k` can create without a manual delete.
 */
const PRODUCTION = ['production', 'production-ingress', 'production-redis-cluster'];
/** Postgres's default max_connections, and what is kept for migrations, backups and psql. */
const POSTGRES_MAX_CONNECTIONS = 100;
const POSTGRES_RESERVED = 10;

const byLabel = (objs: K8sObject[], kind: string, name: string) =>
  objs.filter((o) => o.kind === kind && o.metadata.labels?.['app.kubernetes.io/name'] === name);
const configMap = (objs: K8sObject[], prefix: string) =>
  objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${prefix}-`))!;
const host = (url: string) => new URL(url).host;

describeWithTool('kubectl', 'kubectl, with its built-in kustomize', 'k8s operations components', () => {
  const cache = new Map<string, K8sObject[]>();
  const objectsOf = (overlay: string) => {
    if (!cache.has(overlay)) cache.set(overlay, render(join(OVERLAYS_DIR, overlay)));
    return cache.get(overlay)!;
  };

  describe.each(PRODUCTION)('overlay %s', (overlay) => {
    it('sends auth, gateway and media through PgBouncer >= 1.21 in transaction mode, with prepared statements on', () => {
      const objs = objectsOf(overlay);
      for (const app of ['auth', 'gateway', 'media']) {
        const env = containerEnv(objs, podSpecOf(get(objs, 'Deployment', app)).containers[0]);
        expect(host(env.DATABASE_URL)).toBe('pgbouncer:6432');
        expect(env.DATABASE_PREPARED_STATEMENTS).toBe('true');
      }
      const bouncer = podSpecOf(get(objs, 'Deployment', 'pgbouncer')).containers[0];
      const [major, minor] = /:v?(\d+)\.(\d+)/.exec(bouncer.image)!.slice(1).map(Number);
      expect(major * 100 + minor).toBeGreaterThanOrEqual(121);
      const env = containerEnv(objs, bouncer);
      expect(Number(env.PGBOUNCER_MAX_PREPARED_STATEMENTS)).toBeGreaterThan(0);
      // PgBouncer itself, the migrations and the backups connect straight to Postgres.
      expect(host(env.DATABASE_URL)).not.toMatch(/^pgbouncer/);
      const job = byLabel(objs, 'Job', 'migrate')[0];
      expect(host(containerEnv(objs, podSpecOf(job).containers[0]).DATABASE_URL)).not.toMatch(/^pgbouncer/);
      const cron = get(objs, 'CronJob', 'postgres-backup');
      const dumper = cron.spec.jobTemplate.spec.template.spec.containers[0];
      expect(host(containerEnv(objs, dumper).DATABASE_URL)).not.toMatch(/^pgbouncer/);
      const script = configMap(objs, 'pgbouncer-script').data['start.sh'];
      expect(script).toMatch(/^pool_mode = transaction$/m);
    });

    it('sizes the pools: Postgres gets at most its connections minus a reserve, every client fits', () => {
      const objs = objectsOf(overlay);
      const bouncer = get(objs, 'Deployment', 'pgbouncer');
      const env = containerEnv(objs, podSpecOf(bouncer).containers[0]);
      const serverConnections = bouncer.spec.replicas * Number(env.PGBOUNCER_MAX_DB_CONNECTIONS);
      expect(Number(env.PGBOUNCER_DEFAULT_POOL_SIZE)).toBeLessThanOrEqual(
        Number(env.PGBOUNCER_MAX_DB_CONNECTIONS),
      );
      expect(serverConnections).toBeLessThanOrEqual(POSTGRES_MAX_CONNECTIONS - POSTGRES_RESERVED);
      // Every app connection at the maximum replica counts, all on one PgBouncer while the other restarts.
      const poolSize = Number(configMap(objs, 'chat-config').data.DATABASE_POOL_SIZE);
      const maxReplicas = (app: string) =>
        app === 'gateway'
          ? get(objs, 'HorizontalPodAutoscaler', 'gateway').spec.maxReplicas
          : get(objs, 'Deployment', app).spec.replicas;
      const clients = ['auth', 'gateway', 'media'].reduce((sum, app) => sum + maxReplicas(app) * poolSize, 0);
      expect(clients).toBeGreaterThan(serverConnections); // the reason for the pooler
      expect(Number(env.PGBOUNCER_MAX_CLIENT_CONN)).toBeGreaterThanOrEqual(clients);
    });

    it('lets only the services reach PgBouncer, guards it with a PDB and probes it', () => {
      const objs = objectsOf(overlay);
      const from = get(objs, 'NetworkPolicy', 'pgbouncer-from-services');
      expect(from.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'pgbouncer' });
      expect(from.spec.ingress).toHaveLength(1);
      expect(from.spec.ingress[0].from[0].podSelector.matchExpressions[0].values.sort()).toEqual([
        'auth',
        'gateway',
        'media',
      ]);
      expect(from.spec.ingress[0].ports).toEqual([{ protocol: 'TCP', port: 6432 }]);
      const out = get(objs, 'NetworkPolicy', 'pgbouncer-to-postgres');
      expect(out.spec.egress.flatMap((e: any) => e.ports.map((p: any) => p.port))).toEqual([5432]);
      const pdb = get(objs, 'PodDisruptionBudget', 'pgbouncer');
      const dep = get(objs, 'Deployment', 'pgbouncer');
      expect(pdb.spec.selector.matchLabels).toEqual(dep.spec.selector.matchLabels);
      expect(dep.spec.replicas).toBeGreaterThanOrEqual(2);
      const svc = get(objs, 'Service', 'pgbouncer');
      expect(svc.spec.ports[0]).toMatchObject({ port: 6432, targetPort: 'postgres' });
    });

    it('backs up nightly with pg_dump -Fc: one at a time, limited history, restricted pod, retention', () => {
      const objs = objectsOf(overlay);
      const cron = get(objs, 'CronJob', 'postgres-backup');
      expect(cron.spec.concurrencyPolicy).toBe('Forbid');
      expect(cron.spec.successfulJobsHistoryLimit).toBeLessThanOrEqual(5);
      expect(cron.spec.failedJobsHistoryLimit).toBeLessThanOrEqual(5);
      const pod = cron.spec.jobTemplate.spec.template.spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.automountServiceAccountToken).toBe(false);
      const c = pod.containers[0];
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.image).toMatch(/^postgres:\d+\.\d+/);
      expect(c.command).toEqual(['/bin/sh', '/scripts/backup.sh']);
      const config = configMap(objs, 'backup-config');
      // The very script test/deploy/backup-restore.e2e-spec.ts runs against a real database.
      expect(config.data['backup.sh']).toBe(
        readFileSync(repoPath('k8s/components/backups/backup.sh'), 'utf8'),
      );
      expect(config.data['backup.sh']).toMatch(/pg_dump --format=custom/);
      expect(Number(containerEnv(objs, c).BACKUP_RETENTION_DAYS)).toBeGreaterThan(0);
      const claim = pod.volumes.find((v: any) => v.name === 'backups').persistentVolumeClaim.claimName;
      get(objs, 'PersistentVolumeClaim', claim);
      const policy = get(objs, 'NetworkPolicy', 'backup-to-postgres');
      expect(policy.spec.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'backup' });
      expect(cron.spec.jobTemplate.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('backup');
    });
  });

  // Every overlay, so a new one that forgets the `replacements` entry fails here.
  describe.each(overlayNames())('migration Job of %s', (overlay) => {
    it('is named after the release and cleaned up after it finished', () => {
      const jobs = byLabel(objectsOf(overlay), 'Job', 'migrate');
      expect(jobs).toHaveLength(1);
      const [job] = jobs;
      const tag = podSpecOf(job).containers[0].image.split(':')[1];
      expect(job.metadata.name).toBe(`migrate-${tag}`);
      // A valid Job name that also fits the job-name label of its pods.
      expect(job.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
      expect(job.metadata.name.length).toBeLessThanOrEqual(63);
      expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
      expect(job.spec.ttlSecondsAfterFinished).toBeLessThanOrEqual(3600);
    });
  });

  it('renders the same Job for the same release (apply is a no-op) and a new one for a new release', () => {
    const copy = mkdtempSync(join(tmpdir(), 'chat-k8s-release-'));
    cpSync(repoPath('k8s'), copy, { recursive: true });
    const again = render(join(copy, 'overlays', 'production'));
    const original = objectsOf('production');
    expect(byLabel(again, 'Job', 'migrate')).toEqual(byLabel(original, 'Job', 'migrate'));

    const file = join(copy, 'components', 'production', 'kustomization.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/newTag: 0\.1\.0/g, 'newTag: 0.2.0'));
    const next = byLabel(render(join(copy, 'overlays', 'production')), 'Job', 'migrate');
    expect(next.map((j) => j.metadata.name)).toEqual(['migrate-0.2.0']);
    expect(byLabel(original, 'Job', 'migrate').map((j) => j.metadata.name)).toEqual(['migrate-0.1.0']);
  });

  it("PgBouncer's start script turns DATABASE_URL and the settings into pgbouncer.ini and a userlist", () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-pgb-start-'));
    // A stand-in for the pgbouncer binary: shows what it would have been started with.
    writeFileSync(join(dir, 'pgbouncer'), '#!/bin/sh\necho "started with $1"\n');
    chmodSync(join(dir, 'pgbouncer'), 0o755);
    const r = spawnSync('sh', [repoPath('k8s/components/pgbouncer/start.sh')], {
      encoding: 'utf8',
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        PGBOUNCER_RUN_DIR: dir,
        DATABASE_URL: 'postgres://chat:s3cret-pw@db.internal:6543/chatdb?sslmode=require',
        PGBOUNCER_MAX_PREPARED_STATEMENTS: '200',
        PGBOUNCER_DEFAULT_POOL_SIZE: '40',
        PGBOUNCER_MAX_DB_CONNECTIONS: '40',
        PGBOUNCER_MAX_CLIENT_CONN: '1000',
        PGBOUNCER_SERVER_TLS_SSLMODE: 'require',
      },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`started with ${dir}/pgbouncer.ini`);
    const ini = readFileSync(join(dir, 'pgbouncer.ini'), 'utf8');
    expect(ini).toContain('chatdb = host=db.internal port=6543 dbname=chatdb\n');
    expect(ini).toMatch(/^pool_mode = transaction$/m);
    expect(ini).toMatch(/^max_prepared_statements = 200$/m);
    expect(ini).toMatch(/^server_tls_sslmode = require$/m);
    expect(readFileSync(join(dir, 'userlist.txt'), 'utf8')).toBe('"chat" "s3cret-pw"\n');

    // Without a port the default one; without a setting it stops instead of writing a broken ini.
    const start = (env: Record<string, string>) =>
      spawnSync('sh', [repoPath('k8s/components/pgbouncer/start.sh')], {
        encoding: 'utf8',
        env: { PATH: `${dir}:${process.env.PATH}`, PGBOUNCER_RUN_DIR: dir, ...env },
      });
    const settings = {
      PGBOUNCER_MAX_PREPARED_STATEMENTS: '200',
      PGBOUNCER_DEFAULT_POOL_SIZE: '40',
      PGBOUNCER_MAX_DB_CONNECTIONS: '40',
      PGBOUNCER_MAX_CLIENT_CONN: '1000',
      PGBOUNCER_SERVER_TLS_SSLMODE: 'disable',
    };
    expect(start({ DATABASE_URL: 'postgres://u:p@h/d', ...settings }).status).toBe(0);
    expect(readFileSync(join(dir, 'pgbouncer.ini'), 'utf8')).toContain('d = host=h port=5432 dbname=d\n');
    const bare = start({ DATABASE_URL: 'postgres://u:p@h/d' });
    expect(bare.status).not.toBe(0);
    expect(bare.stderr).toMatch(/PGBOUNCER_MAX_PREPARED_STATEMENTS/);
  });
});
