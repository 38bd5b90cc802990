import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRepoFile, repoPath } from './support/repo';

/**
 * The image, checked without a Docker engine: the Dockerfile's stages follow the rules the
 * deployment relies on, and the two scripts baked into it (entrypoint, healthcheck) behave, run
 * here with the same sh and node.
 */

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Dockerfile stages: instructions with line continuations joined and comments dropped. */
function stages(text: string): Stage[] {
  const logical = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) continue;
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?/i.exec(args)!;
      out.push({ from: m[1], name: m[2], instructions: [] });
    } else out[out.length - 1]?.instructions.push({ op: op.toUpperCase(), args });
  }
  return out;
}

const dockerfile = readRepoFile('Dockerfile');
const all = stages(dockerfile);
const stage = (name: string) => all.find((s) => s.name === name)!;
const ops = (s: Stage, op: string) => s.instructions.filter((i) => i.op === op).map((i) => i.args);
const argDefault = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];

describe('Dockerfile', () => {
  it('builds in a full stage and runs a production-only stage, the default target', () => {
    expect(all.map((s) => s.name)).toEqual(['build', 'web', 'runtime']);
    expect(ops(stage('build'), 'RUN').join('\n')).toMatch(/npm ci(?! --omit)[\s\S]*npm run build/);
    const run = ops(stage('runtime'), 'RUN').join('\n');
    expect(run).toMatch(/npm ci --omit=dev/);
    expect(run).not.toMatch(/npm run build|npm install(?!.*tini)/);
    expect(ops(stage('runtime'), 'COPY')).toContain('--from=build /app/dist ./dist');
  });

  it('pins node:20 bookworm-slim and nginx by version', () => {
    expect(argDefault('NODE_VERSION')).toMatch(/^20\.\d+\.\d+$/);
    expect(argDefault('NGINX_VERSION')).toMatch(/^1\.\d+\.\d+$/);
    // `resolve` on upstream servers (deploy/nginx/front-door.conf) needs nginx >= 1.27.3.
    const [major, minor, patch] = argDefault('NGINX_VERSION')!.split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch).toBeGreaterThanOrEqual(1_027_003);
    expect(stage('build').from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(stage('runtime').from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(stage('web').from).toBe('nginx:${NGINX_VERSION}-alpine');
  });

  it('runs the apps as a non-root user under tini, with a HEALTHCHECK', () => {
    const rt = stage('runtime');
    expect(ops(rt, 'USER')).toEqual(['node']);
    expect(ops(rt, 'ENTRYPOINT')).toEqual(['["/usr/bin/tini", "--", "/app/deploy/docker/entrypoint.sh"]']);
    expect(ops(rt, 'RUN').join()).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(ops(rt, 'HEALTHCHECK')[0]).toMatch(/CMD \["node", "\/app\/deploy\/docker\/healthcheck\.cjs"\]/);
    expect(ops(rt, 'COPY')).toContain(
      'deploy/docker/entrypoint.sh deploy/docker/healthcheck.cjs ./deploy/docker/',
    );
  });

  it('ships the web client in an unprivileged nginx stage with a HEALTHCHECK', () => {
    const web = stage('web');
    expect(ops(web, 'COPY')).toContain('--from=build /app/dist/web /usr/share/nginx/html');
    expect(ops(web, 'COPY')).toContain('deploy/nginx/web.conf /etc/nginx/conf.d/default.conf');
    expect(ops(web, 'USER')).toEqual(['101']);
    expect(ops(web, 'HEALTHCHECK')[0]).toMatch(/8081\/healthz/);
  });

  it('keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = readRepoFile('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', '**/node_modules', 'dist', '.env', 'deploy/secrets']),
    );
    // ...but not what the build needs.
    for (const needed of [
      'apps',
      'libs',
      'scripts',
      'types',
      'deploy/docker',
      'deploy/nginx',
      'package-lock.json',
    ])
      expect(ignored).not.toContain(needed);
  });
});

describe('deploy/docker/entrypoint.sh', () => {
  const entrypoint = repoPath('deploy', 'docker', 'entrypoint.sh');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync('sh', [entrypoint, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });

  it('loads NAME from NAME_FILE (a multi-line PEM survives) and unsets NAME_FILE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-entry-'));
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\ndef\n-----END PRIVATE KEY-----';
    writeFileSync(join(dir, 'key'), pem + '\n');
    const r = run(['sh', '-c', 'printf "%s|%s" "$JWT_PRIVATE_KEY" "${JWT_PRIVATE_KEY_FILE-unset}"'], {
      JWT_PRIVATE_KEY_FILE: join(dir, 'key'),
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${pem}|unset`);
  });

  it('refuses ambiguous or unreadable secrets and a missing app name', () => {
    expect(run(['true'], { DATABASE_URL: 'x', DATABASE_URL_FILE: '/etc/hostname' }).status).toBe(64);
    expect(run(['true'], { DATABASE_URL_FILE: '/nonexistent/secret' }).status).toBe(66);
    const none = run([]);
    expect(none.status).toBe(64);
    expect(none.stderr).toMatch(/auth\|gateway\|media\|migrate/);
  });

  it('maps app names to the compiled entry points', () => {
    const text = readRepoFile('deploy/docker/entrypoint.sh');
    expect(text).toContain('exec node "/app/dist/apps/$app/src/main.js"');
    expect(text).toContain('exec node /app/dist/scripts/migrate.js');
    // The paths `npm run build` produces (see the build stage's checks).
    for (const p of [
      'dist/apps/auth/src/main.js',
      'dist/apps/gateway/src/main.js',
      'dist/apps/media/src/main.js',
      'dist/scripts/migrate.js',
    ])
      expect(dockerfile).toContain(`test -f ${p}`);
  });
});

describe('deploy/docker/healthcheck.cjs', () => {
  let server: Server;
  let status = 200;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => res.writeHead(req.url === '/readyz' ? status : 404).end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const check = (url?: string) =>
    new Promise<number>((resolve) => {
      const child = spawn(
        process.execPath,
        [repoPath('deploy', 'docker', 'healthcheck.cjs'), ...(url ? [url] : [])],
        {
          stdio: 'ignore',
        },
      );
      child.on('exit', (code) => resolve(code ?? -1));
    });

  // (Without a URL it looks for the app's process in /proc: that works inside a container, where
  // the app is the only one, and is not asserted here, where other node processes may run.)
  it('is healthy on 200 and unhealthy on 503 (draining) or no answer', async () => {
    status = 200;
    expect(await check(`${base}/readyz`)).toBe(0);
    status = 503;
    expect(await check(`${base}/readyz`)).toBe(1);
    expect(await check('http://127.0.0.1:1/readyz')).toBe(1);
  });
});
