import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { loadAuthConfig } from '../../apps/auth/src/config';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { loadMediaConfig } from '../../apps/media/src/config';
import { routeFor, WEB_CSP } from '../../scripts/lib/front-door';
import { COMPOSE_ENV_EXAMPLE, loadCompose, parseEnvFile } from './support/compose';
import {
  type K8sObject,
  containerEnv,
  find,
  get,
  overlayNames,
  podSpecOf,
  render,
  OVERLAYS_DIR,
  secretData,
} from './support/k8s';
import { directives, parseNginx, selectLocation, serverOn, value } from './support/nginx';
import { CONTRACT_ROUTES, readRepoFile, SAMPLE_PATHS } from './support/repo';
import { describeWithTool } from './support/tools';

/**
 * The deployment files agree with the code: every setting the apps need in production is
 * provided (and the apps' own config loaders accept the result), every contract prefix is routed
 * to the right service by nginx, the HTTPRoute and the Ingress exactly as the local front door
 * does, and ports, probe paths and CSP match the apps' defaults.
 */

type App = 'auth' | 'gateway' | 'media';
const APPS: App[] = ['auth', 'gateway', 'media'];
const LOADERS = { auth: loadAuthConfig, gateway: loadGatewayConfig, media: loadMediaConfig } as const;
const DEFAULTS = { auth: loadAuthConfig({}), gateway: loadGatewayConfig({}), media: loadMediaConfig({}) };
const PORT_VAR: Record<App, string> = { auth: 'AUTH_PORT', gateway: 'GATEWAY_PORT', media: 'MEDIA_PORT' };

/** Variables each app reads, from its config.ts and the shared specs it spreads in. */
function knownVariables(app: App): Set<string> {
  const names = (src: string) => [...src.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s*[a-zA-Z]+\(/gm)].map((m) => m[1]);
  const shared = readRepoFile('libs/platform/src/config/env.ts');
  const common = shared.slice(shared.indexOf('commonEnv'), shared.indexOf('tokenVerifierEnv'));
  const verifier = shared.slice(shared.indexOf('tokenVerifierEnv'));
  const mail = shared.slice(shared.indexOf('export const mailEnv'), shared.indexOf('export const commonEnv'));
  const own = readRepoFile(`apps/${app}/src/config.ts`);
  const set = new Set([...names(own), ...names(common)]);
  if (own.includes('...tokenVerifierEnv')) names(verifier).forEach((n) => set.add(n));
  if (own.includes('...mailEnv')) names(mail).forEach((n) => set.add(n));
  if (own.includes('...tracingEnv'))
    names(readRepoFile('libs/platform/src/observability/tracing.ts')).forEach((n) => set.add(n));
  return set;
}
/** Read by the runtime, not by the apps' config: heap size, and *_FILE (deploy/docker/entrypoint.sh). */
const RUNTIME_VARIABLES = /^(NODE_OPTIONS|[A-Z0-9_]+_FILE)$/;

/** Settings production must set explicitly (their local-mode defaults are wrong in a cluster). */
const REQUIRED: Record<App, string[]> = {
  auth: [
    'NODE_ENV',
    'DATABASE_URL',
    'REDIS_URL',
    'CORS_ORIGINS',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
    'JWT_PRIVATE_KEY',
    'ADMIN_PASSWORD',
  ],
  gateway: [
    'NODE_ENV',
    'DATABASE_URL',
    'REDIS_URL',
    'CORS_ORIGINS',
    'AUTH_JWKS_URL',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
  ],
  media: [
    'NODE_ENV',
    'DATABASE_URL',
    'REDIS_URL',
    'CORS_ORIGINS',
    'AUTH_JWKS_URL',
    'JWT_ISSUER',
    'JWT_AUDIENCE',
    'S3_ENDPOINT',
    'S3_REGION',
    'S3_BUCKET',
    'S3_ACCESS_KEY_ID',
    'S3_SECRET_ACCESS_KEY',
    'S3_FORCE_PATH_STYLE',
    'S3_CREATE_BUCKET',
  ],
};

function isP256PrivateKey(pem: string): boolean {
  try {
    const key = createPrivateKey(pem);
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

/** Checks an app's environment the same way for compose and Kubernetes; returns the loaded config. */
function checkAppEnv(app: App, env: Record<string, string>) {
  const missing = REQUIRED[app].filter((k) => !env[k]);
  expect({ app, missing }).toEqual({ app, missing: [] });
  const known = knownVariables(app);
  const unknown = Object.keys(env).filter((k) => !known.has(k) && !RUNTIME_VARIABLES.test(k));
  expect({ app, unknown }).toEqual({ app, unknown: [] });
  const config = LOADERS[app](env);
  expect(config.nodeEnv).toBe('production');
  expect(config.port).toBe(DEFAULTS[app].port);
  expect(config.database.url).not.toBe(DEFAULTS[app].database.url);
  expect(config.redis.url).toMatch(/^rediss?(\+cluster)?:\/\/:[^@]+@/);
  expect(config.corsOrigins.length).toBeGreaterThan(0);
  return config;
}

function urlOf(s: string): URL {
  return new URL(s);
}

describe('the nginx front door (deploy/nginx/front-door.conf)', () => {
  const conf = parseNginx('front-door.conf');
  const server = serverOn(conf, 8080);

  const routedTo = (path: string): string => {
    const loc = selectLocation(server, path);
    if (!loc) throw new Error(`no location for ${path}`);
    const pass = value(loc.block, 'proxy_pass');
    if (!pass) return value(loc.block, 'try_files') ? 'web' : 'none';
    return new URL(pass).hostname; // http://<upstream>
  };

  it.each(SAMPLE_PATHS)('routes %s as scripts/lib/front-door.ts does', (path) => {
    expect(routedTo(path)).toBe(routeFor(path));
  });

  it('routes every contract prefix to its service', () => {
    for (const { prefix, service } of CONTRACT_ROUTES)
      expect([prefix, routedTo(prefix)]).toEqual([prefix, service]);
  });

  it('points each upstream at the compose service and the app default port, re-resolving replicas', () => {
    const ups = Object.fromEntries(directives(conf, 'upstream').map((u) => [u.args[0], u.block!]));
    for (const app of APPS) {
      const server = directives(ups[app], 'server')[0];
      expect(server.args).toEqual([`${app}:${DEFAULTS[app].port}`, 'resolve']);
      expect(value(ups[app], 'zone')).toBeDefined();
    }
    expect(value(conf, 'resolver')).toBe('127.0.0.11');
    // Sticky across gateway replicas.
    const hash = directives(ups.gateway, 'hash')[0] ?? directives(ups.gateway, 'ip_hash')[0];
    expect(hash).toBeDefined();
  });

  it('upgrades WebSockets on /socket.io/ with timeouts above pingInterval + pingTimeout (45 s)', () => {
    const loc = selectLocation(server, '/socket.io/')!;
    const headers = directives(loc.block, 'proxy_set_header').map((d) => `${d.args[0]}: ${d.args[1]}`);
    expect(headers).toEqual(
      expect.arrayContaining(['Upgrade: $http_upgrade', 'Connection: $connection_upgrade']),
    );
    expect(value(loc.block, 'proxy_http_version')).toBe('1.1');
    const seconds = (v: string | undefined) => parseInt(v ?? '60', 10);
    expect(seconds(value(loc.block, 'proxy_read_timeout'))).toBeGreaterThan(45);
    expect(seconds(value(loc.block, 'proxy_send_timeout'))).toBeGreaterThan(45);
    const http = directives(parseNginx('nginx.conf'), 'http')[0].block;
    const upgradeMap = directives(http, 'map').find((m) => m.args[0] === '$http_upgrade');
    expect(upgradeMap?.args[1]).toBe('$connection_upgrade');
  });

  it('lets uploads of MEDIA_MAX_BYTES through to media', () => {
    const loc = selectLocation(server, '/files')!;
    const mb = parseInt(value(loc.block, 'client_max_body_size')!, 10);
    expect(mb * 1024 * 1024).toBeGreaterThan(DEFAULTS.media.media.maxBytes);
  });

  it.each([
    ['front-door.conf', 8080],
    ['web.conf', 8080],
  ])('%s serves the web client with the CSP of WEB_CSP and an index.html fallback', (file, port) => {
    const srv = serverOn(parseNginx(file), port);
    expect(value(srv, 'root')).toBe('/usr/share/nginx/html');
    const root = selectLocation(srv, '/some/client/route')!;
    expect(directives(root.block, 'try_files')[0].args).toEqual(['$uri', '/index.html']);
    for (const loc of [root, selectLocation(srv, '/assets/x.js')!]) {
      const csp = directives(loc.block, 'add_header').find((d) => d.args[0] === 'Content-Security-Policy');
      expect(csp?.args[1]).toBe(WEB_CSP);
    }
  });
});

describe('docker compose provides what each app needs', () => {
  const env = parseEnvFile(COMPOSE_ENV_EXAMPLE);
  const compose = loadCompose(env);
  const services = compose.services as Record<string, any>;
  const testKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    format: 'pem',
    type: 'pkcs8',
  });

  /** The app's environment as deploy/docker/entrypoint.sh leaves it: *_FILE read from the secret. */
  const appEnv = (app: App): Record<string, string> => {
    const e: Record<string, string> = Object.fromEntries(
      Object.entries(services[app].environment as Record<string, string | number | null>).map(([k, v]) => [
        k,
        v === null ? '' : String(v),
      ]),
    );
    if (e.JWT_PRIVATE_KEY_FILE) {
      const secret = /^\/run\/secrets\/(.+)$/.exec(e.JWT_PRIVATE_KEY_FILE)?.[1];
      expect(services[app].secrets).toContain(secret);
      expect(compose.secrets[secret!]).toBeDefined();
      delete e.JWT_PRIVATE_KEY_FILE;
      e.JWT_PRIVATE_KEY = String(testKey);
    }
    return e;
  };

  it.each(APPS)('%s: the config loader accepts the compose environment', (app) => {
    const cfg = checkAppEnv(app, appEnv(app));
    expect(services[app].command).toEqual([app]);
    // The healthcheck asks this app's /readyz on its port.
    expect(services[app].healthcheck.test).toContain(`http://127.0.0.1:${cfg.port}/readyz`);
    expect(Number(services[app].environment[PORT_VAR[app]])).toBe(cfg.port);
  });

  it('wires the stores: database, Redis and S3 credentials agree on both ends', () => {
    // The services through PgBouncer, the migrations straight to Postgres: same credentials and database.
    const db = urlOf(services.auth.environment.DATABASE_URL);
    expect(db.hostname).toBe('pgbouncer');
    const direct = urlOf(services.migrate.environment.DATABASE_URL);
    expect(direct.hostname).toBe('postgres');
    const pgbouncer = services.pgbouncer.environment;
    for (const url of [db, direct]) {
      expect(decodeURIComponent(url.username)).toBe(services.postgres.environment.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(services.postgres.environment.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${services.postgres.environment.POSTGRES_DB}`);
    }
    expect([pgbouncer.POSTGRES_USER, pgbouncer.POSTGRES_PASSWORD, pgbouncer.POSTGRES_DB]).toEqual([
      services.postgres.environment.POSTGRES_USER,
      services.postgres.environment.POSTGRES_PASSWORD,
      services.postgres.environment.POSTGRES_DB,
    ]);
    const redis = urlOf(services.gateway.environment.REDIS_URL);
    expect(redis.hostname).toBe('redis');
    expect(decodeURIComponent(redis.password)).toBe(services.redis.environment.REDIS_PASSWORD);
    const media = services.media.environment;
    expect(urlOf(media.S3_ENDPOINT).hostname).toBe('s3');
    expect(media.S3_ACCESS_KEY_ID).toBe(services.s3.environment.S3_ACCESS_KEY_ID);
    expect(media.S3_SECRET_ACCESS_KEY).toBe(services.s3.environment.S3_SECRET_ACCESS_KEY);
  });

  it('gateway and media verify tokens against auth with the same issuer and audience', () => {
    const auth = loadAuthConfig(appEnv('auth'));
    for (const app of ['gateway', 'media'] as const) {
      const cfg = LOADERS[app](appEnv(app));
      const jwks = urlOf(cfg.jwt.jwksUrl);
      expect([jwks.hostname, Number(jwks.port), jwks.pathname]).toEqual([
        'auth',
        auth.port,
        '/auth/.well-known/jwks.json',
      ]);
      expect([cfg.jwt.issuer, cfg.jwt.audience]).toEqual([auth.jwt.issuer, auth.jwt.audience]);
    }
  });

  it('allows the public origin of the front door', () => {
    const port = String(services.frontdoor.ports[0]).split(':')[1];
    expect(loadGatewayConfig(appEnv('gateway')).corsOrigins).toContain(`http://localhost:${port}`);
  });
});

describeWithTool(
  'kubectl',
  'kubectl, with its built-in kustomize',
  'Kubernetes provides what each app needs',
  () => {
    const objectsByOverlay = new Map<string, K8sObject[]>();
    const objectsOf = (overlay: string): K8sObject[] => {
      if (!objectsByOverlay.has(overlay)) objectsByOverlay.set(overlay, render(join(OVERLAYS_DIR, overlay)));
      return objectsByOverlay.get(overlay)!;
    };
    const container = (objs: K8sObject[], kind: string, name: string) =>
      podSpecOf(get(objs, kind, name)).containers[0];
    const testKey = String(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }),
    );

    describe.each(overlayNames())('overlay %s', (overlay) => {
      const production = overlay !== 'dev';

      it.each(APPS)(
        '%s: the config loader accepts the rendered environment; port and probes match',
        (app) => {
          const objs = objectsOf(overlay);
          const c = container(objs, 'Deployment', app);
          const env = containerEnv(objs, c);
          // ConfigMap keys shared by all apps are checked against the union of what they read.
          const configKeys = Object.keys(
            (objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('chat-config'))!.data ??
              {}) as object,
          );
          const anyApp = new Set(APPS.flatMap((a) => [...knownVariables(a)]));
          expect(configKeys.filter((k) => !anyApp.has(k))).toEqual([]);
          const own = Object.fromEntries(
            Object.entries(env).filter(([k]) => !configKeys.includes(k) || knownVariables(app).has(k)),
          );
          if (app === 'auth') {
            if (production) {
              // The example Secret must never hold a usable key: an unedited example cannot start.
              expect(isP256PrivateKey(env.JWT_PRIVATE_KEY)).toBe(false);
              own.JWT_PRIVATE_KEY = testKey;
            } else expect(isP256PrivateKey(env.JWT_PRIVATE_KEY)).toBe(true);
          }
          const cfg = checkAppEnv(app, own);
          expect(c.args).toEqual([app]);
          const port = c.ports.find((p: { name: string }) => p.name === 'http');
          expect(port.containerPort).toBe(cfg.port);
          expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
          expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
          expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
          const svc = get(objs, 'Service', app);
          expect(svc.spec.ports[0]).toMatchObject({ port: cfg.port, targetPort: 'http' });
        },
      );

      it('the migration Job gets DATABASE_URL: the services’ database, straight to Postgres', () => {
        const objs = objectsOf(overlay);
        // Named after the release (migrate-<tag>): found by its label.
        const job = objs.find(
          (o) => o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/name'] === 'migrate',
        )!;
        const env = containerEnv(objs, podSpecOf(job).containers[0]);
        expect(env.DATABASE_URL).toMatch(/^postgres(ql)?:\/\//);
        const services = containerEnv(objs, container(objs, 'Deployment', 'auth')).DATABASE_URL;
        const [jobUrl, appUrl] = [new URL(env.DATABASE_URL), new URL(services)];
        expect([jobUrl.username, jobUrl.password, jobUrl.pathname]).toEqual([
          appUrl.username,
          appUrl.password,
          appUrl.pathname,
        ]);
        // Behind PgBouncer (k8s/components/pgbouncer) the services' host differs; the Job's never is it.
        expect(jobUrl.hostname).not.toBe('pgbouncer');
      });

      it('gateway and media verify tokens against the auth Service with the same issuer and audience', () => {
        const objs = objectsOf(overlay);
        const auth = loadAuthConfig({
          ...containerEnv(objs, container(objs, 'Deployment', 'auth')),
          JWT_PRIVATE_KEY: testKey,
        });
        for (const app of ['gateway', 'media'] as const) {
          const cfg = LOADERS[app](containerEnv(objs, container(objs, 'Deployment', app)));
          const jwks = urlOf(cfg.jwt.jwksUrl);
          expect([jwks.hostname, Number(jwks.port), jwks.pathname]).toEqual([
            'auth',
            auth.port,
            '/auth/.well-known/jwks.json',
          ]);
          expect([cfg.jwt.issuer, cfg.jwt.audience]).toEqual([auth.jwt.issuer, auth.jwt.audience]);
        }
      });

      it('routes every contract prefix to its service, as scripts/lib/front-door.ts does', () => {
        const objs = objectsOf(overlay);
        const table: Array<{ prefix: string; service: string }> = [];
        const route = find(objs, 'HTTPRoute', 'chat');
        if (route) {
          for (const rule of route.spec.rules)
            for (const m of rule.matches ?? [])
              table.push({ prefix: m.path.value, service: rule.backendRefs[0].name });
        }
        for (const ing of objs.filter((o) => o.kind === 'Ingress'))
          for (const r of ing.spec.rules)
            for (const p of r.http.paths) {
              expect(p.pathType).toBe('Prefix');
              table.push({ prefix: p.path, service: p.backend.service.name });
            }
        expect(table.length).toBeGreaterThan(0);
        // Gateway API PathPrefix and Ingress Prefix both match whole path segments; longest wins.
        const routed = (path: string) => {
          const hits = table.filter(
            ({ prefix }) =>
              prefix === '/' || path === prefix || path.startsWith(prefix.replace(/\/$/, '') + '/'),
          );
          hits.sort((a, b) => b.prefix.length - a.prefix.length);
          return hits[0]?.service;
        };
        for (const path of SAMPLE_PATHS) expect([path, routed(path)]).toEqual([path, routeFor(path)]);
        for (const { prefix, service } of CONTRACT_ROUTES)
          expect([prefix, routed(prefix)]).toEqual([prefix, service]);
      });

      it('keeps socket.io sessions on one gateway with timeouts above 45 s', () => {
        const objs = objectsOf(overlay);
        const route = find(objs, 'HTTPRoute', 'chat');
        if (route) {
          const rule = route.spec.rules.find((r: any) =>
            r.matches.some((m: any) => m.path.value === '/socket.io'),
          );
          expect(rule.sessionPersistence).toMatchObject({ type: 'Cookie' });
          expect(rule.timeouts.request).toBe('0s'); // disabled (Gateway API: zero means no timeout)
        }
        for (const ing of objs.filter((o) => o.kind === 'Ingress')) {
          const toGateway = ing.spec.rules.some((r: any) =>
            r.http.paths.some((p: any) => p.backend.service.name === 'gateway'),
          );
          if (!toGateway) continue;
          const a = ing.metadata.annotations as Record<string, string>;
          expect(a['nginx.ingress.kubernetes.io/affinity']).toBe('cookie');
          expect(Number(a['nginx.ingress.kubernetes.io/proxy-read-timeout'])).toBeGreaterThan(45);
          expect(Number(a['nginx.ingress.kubernetes.io/proxy-send-timeout'])).toBeGreaterThan(45);
        }
      });
    });

    it('dev: the in-cluster stores and the services share credentials, and images match compose', () => {
      const objs = objectsOf('dev');
      const secrets = secretData(
        objs.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('chat-secrets'))!,
      );
      const pg = containerEnv(objs, container(objs, 'StatefulSet', 'postgres'));
      const db = urlOf(secrets.DATABASE_URL);
      expect([
        db.hostname,
        db.port,
        decodeURIComponent(db.username),
        decodeURIComponent(db.password),
        db.pathname,
      ]).toEqual([
        'postgres',
        String(get(objs, 'Service', 'postgres').spec.ports[0].port),
        pg.POSTGRES_USER,
        pg.POSTGRES_PASSWORD,
        `/${pg.POSTGRES_DB}`,
      ]);
      const redis = urlOf(secrets.REDIS_URL);
      expect([redis.hostname, decodeURIComponent(redis.password)]).toEqual([
        'redis',
        containerEnv(objs, container(objs, 'Deployment', 'redis')).REDIS_PASSWORD,
      ]);
      const media = containerEnv(objs, container(objs, 'Deployment', 'media'));
      const s3 = urlOf(media.S3_ENDPOINT);
      expect([s3.hostname, Number(s3.port)]).toEqual([
        'seaweedfs',
        get(objs, 'Service', 'seaweedfs').spec.ports[0].port,
      ]);
      const store = containerEnv(objs, container(objs, 'StatefulSet', 'seaweedfs'));
      expect([store.S3_ACCESS_KEY_ID, store.S3_SECRET_ACCESS_KEY]).toEqual([
        media.S3_ACCESS_KEY_ID,
        media.S3_SECRET_ACCESS_KEY,
      ]);

      const services = loadCompose(parseEnvFile(COMPOSE_ENV_EXAMPLE)).services;
      expect(container(objs, 'StatefulSet', 'postgres').image).toBe(services.postgres.image);
      expect(container(objs, 'Deployment', 'redis').image).toBe(services.redis.image);
      expect(container(objs, 'StatefulSet', 'seaweedfs').image).toBe(services.s3.image);
    });
  },
);
