import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { routeFor, WEB_CSP } from '../../scripts/lib/front-door';
import { CONTRACT_ROUTES, repoPath, SAMPLE_PATHS } from './support/repo';
import { describeWithTool } from './support/tools';

/**
 * deploy/nginx run by a real nginx on loopback, with stub upstreams in place of auth, media and
 * three gateways: requests are routed as scripts/lib/front-door.ts routes them, the web client
 * gets its CSP and index.html fallback, WebSocket upgrades pass, and one client stays on one
 * gateway.
 *
 * Debian's nginx (1.22) predates the `resolve` parameter of upstream servers (1.27.3; the image
 * pins 1.28), and compose's service names do not resolve here, so the copy under test has exactly
 * these substitutions: `server <service>:<port> resolve;` -> `server 127.0.0.1:<stub>;`, the
 * listen ports, and the /etc/nginx and /usr/share/nginx/html paths. Everything else is the file.
 */

interface Stub {
  name: string;
  server: Server;
  port: number;
}

async function stub(name: string): Promise<Stub> {
  const server = createServer((req, res) => {
    res.writeHead(200, {
      'content-type': 'text/plain',
      'x-upstream': name,
      // What the service would take the client's address from.
      'x-seen-forwarded-for': String(req.headers['x-forwarded-for'] ?? ''),
      'x-seen-real-ip': String(req.headers['x-real-ip'] ?? ''),
    });
    res.end(`${name} ${req.url}`);
  });
  // A minimal WebSocket handshake answer: enough to see the upgrade cross nginx.
  server.on('upgrade', (_req, socket) => {
    socket.end(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Upstream: ${name}\r\n\r\n`,
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { name, server, port: (server.address() as AddressInfo).port };
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The address the trusted proxy (a TLS terminator in front of nginx) connects from. */
const TERMINATOR = '127.0.0.2';

describeWithTool('nginx', 'Debian package nginx-light', 'deploy/nginx under a real nginx', () => {
  const stubs: Record<string, Stub[]> = {};
  let nginx: ChildProcess | undefined;
  let port = 0;
  let healthPort = 0;
  let dir = '';
  let stderr = '';

  beforeAll(async () => {
    stubs.auth = [await stub('auth')];
    stubs.media = [await stub('media')];
    stubs.gateway = [await stub('gateway-1'), await stub('gateway-2'), await stub('gateway-3')];
    port = await freePort();
    healthPort = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'chat-nginx-'));
    chmodSync(dir, 0o755); // workers run unprivileged when the test runs as root
    const html = join(dir, 'html');
    mkdirSync(join(html, 'assets'), { recursive: true });
    writeFileSync(join(html, 'index.html'), '<!doctype html><title>chat</title>');
    writeFileSync(join(html, 'assets', 'app-123.js'), 'console.log(1)');
    writeFileSync(join(html, 'manifest.webmanifest'), '{"name":"Chat"}');
    writeFileSync(join(html, 'sw.js'), 'self.addEventListener("push", () => {})');
    for (const d of ['', 'html', 'html/assets']) chmodSync(join(dir, d), 0o755);

    const paths = (text: string) =>
      text
        .replaceAll('/tmp/', `${dir}/`)
        .replaceAll('/etc/nginx/snippets/', `${dir}/snippets/`)
        .replaceAll('/etc/nginx/conf.d/', `${dir}/conf.d/`)
        .replaceAll('/usr/share/nginx/html', html)
        .replace(/listen 8080\b/g, `listen 127.0.0.1:${port}`)
        .replace(/listen 8081\b/g, `listen 127.0.0.1:${healthPort}`);
    mkdirSync(join(dir, 'snippets'));
    mkdirSync(join(dir, 'conf.d'));
    for (const f of readdirSync(repoPath('deploy', 'nginx', 'snippets')))
      writeFileSync(
        join(dir, 'snippets', f),
        paths(readFileSync(repoPath('deploy', 'nginx', 'snippets', f), 'utf8')),
      );
    writeFileSync(
      join(dir, 'nginx.conf'),
      paths(readFileSync(repoPath('deploy', 'nginx', 'nginx.conf'), 'utf8')),
    );
    let site = paths(readFileSync(repoPath('deploy', 'nginx', 'front-door.conf'), 'utf8'));
    for (const [service, list] of Object.entries(stubs)) {
      const re = new RegExp(`server ${service}:\\d+ resolve;`);
      expect(site).toMatch(re);
      site = site.replace(re, list.map((s) => `server 127.0.0.1:${s.port};`).join('\n  '));
    }
    expect(site).not.toMatch(/ resolve;/);
    writeFileSync(join(dir, 'conf.d', 'default.conf'), site);

    // TRUSTED_PROXIES rendered by the image's entrypoint, as in the container (its output
    // directory is nginx.conf's /tmp/nginx-conf.d, moved under `dir` like every /tmp path): the
    // "TLS terminator" is 127.0.0.2; the test's own 127.0.0.1 is an ordinary, untrusted client.
    const render = spawnSync('sh', [repoPath('deploy', 'docker', 'web-entrypoint.sh'), 'true'], {
      encoding: 'utf8',
      env: {
        ...process.env,
        TRUSTED_PROXIES: `${TERMINATOR}/32`,
        NGINX_RENDERED_DIR: join(dir, 'nginx-conf.d'),
      },
    });
    if (render.status !== 0) throw new Error(`web-entrypoint.sh failed:\n${render.stderr}`);

    // stdout ignored (/dev/null): the access log is /dev/stdout, which cannot be open()ed when it
    // is the socket node gives a child (in a container it is a pipe).
    const args = ['-e', 'stderr', '-p', dir, '-c', join(dir, 'nginx.conf')];
    const test = spawnSync('nginx', ['-t', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (test.status !== 0) throw new Error(`nginx -t failed:\n${test.stderr}`);
    nginx = spawn('nginx', [...args, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
    nginx.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 50; i++) {
      try {
        if ((await get(healthPort, '/healthz')).status === 200) return;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`nginx did not start:\n${stderr}`);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx!.once('exit', r));
      nginx.kill('SIGQUIT');
      await exited;
    }
    for (const list of Object.values(stubs))
      for (const s of list) await new Promise((r) => s.server.close(r));
  });

  const upstreamOf = async (path: string): Promise<string> => {
    const a = await get(port, path);
    const up = a.headers['x-upstream'];
    if (typeof up === 'string') return up.replace(/-\d$/, '');
    return a.status === 200 && a.body.includes('<title>chat</title>') ? 'web' : `status ${a.status}`;
  };

  it.each(SAMPLE_PATHS.filter((p) => !p.startsWith('/assets/')))(
    'routes %s as scripts/lib/front-door.ts does',
    async (path) => {
      expect(await upstreamOf(path)).toBe(routeFor(path));
    },
  );

  it('routes every contract prefix, with its query string, to its service', async () => {
    for (const { prefix, service } of CONTRACT_ROUTES)
      expect([prefix, await upstreamOf(`${prefix}?q=1`)]).toEqual([prefix, service]);
  });

  it('serves the web client with the CSP, caches assets, and 404s a missing asset', async () => {
    const index = await get(port, '/some/client/route');
    expect(index.status).toBe(200);
    expect(index.headers['content-security-policy']).toBe(WEB_CSP);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await get(port, '/assets/app-123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-security-policy']).toBe(WEB_CSP);
    expect(asset.headers['cache-control']).toMatch(/immutable/);
    expect((await get(port, '/assets/missing.js')).status).toBe(404);
  });

  it('serves the installable app: its manifest typed for browsers, its service worker never stale', async () => {
    const manifest = await get(port, '/manifest.webmanifest');
    expect(manifest.status).toBe(200);
    expect(manifest.headers['content-type']).toMatch(/^application\/manifest\+json/);
    expect(manifest.headers['cache-control']).toBe('no-cache');
    const sw = await get(port, '/sw.js');
    expect(sw.status).toBe(200);
    expect(sw.headers['content-type']).toMatch(/javascript/);
    expect(sw.headers['cache-control']).toBe('no-cache');
    expect(sw.headers['content-security-policy']).toBe(WEB_CSP);
  });

  it('passes WebSocket upgrades on /socket.io/ to a gateway', async () => {
    const a = await get(port, '/socket.io/?EIO=4&transport=websocket', {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    });
    expect(a.status).toBe(101);
    expect(String(a.headers['x-upstream'])).toMatch(/^gateway-\d$/);
  });

  it('keeps one client on one gateway replica (polling needs it)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++)
      seen.add(String((await get(port, `/socket.io/?EIO=4&transport=polling&t=${i}`)).headers['x-upstream']));
    expect(seen.size).toBe(1);
  });

  it('the static-only site of the Kubernetes web Deployment (web.conf) passes nginx -t', () => {
    const site = readFileSync(repoPath('deploy', 'nginx', 'web.conf'), 'utf8')
      .replaceAll('/etc/nginx/snippets/', `${dir}/snippets/`)
      .replace(/listen 8080\b/g, 'listen 127.0.0.1:1');
    const webDir = join(dir, 'web-only');
    mkdirSync(join(webDir, 'conf.d'), { recursive: true });
    writeFileSync(join(webDir, 'conf.d', 'default.conf'), site);
    writeFileSync(
      join(webDir, 'nginx.conf'),
      readFileSync(join(dir, 'nginx.conf'), 'utf8').replaceAll(`${dir}/conf.d/`, `${webDir}/conf.d/`),
    );
    const r = spawnSync('nginx', ['-t', '-e', 'stderr', '-p', webDir, '-c', join(webDir, 'nginx.conf')], {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    expect(r.stderr).toMatch(/test is successful/);
    expect(r.status).toBe(0);
  });

  it('does not expose its health endpoint on the public port', async () => {
    expect(await upstreamOf('/healthz')).toBe('web');
    expect((await get(healthPort, '/healthz')).body).toBe('ok\n');
  });
  it('behind a trusted proxy, passes the client address from X-Forwarded-For (and only that) to the services', async () => {
    const a = await get(port, '/auth/login', { 'X-Forwarded-For': '203.0.113.9, 198.51.100.7' }, TERMINATOR);
    expect(a.headers['x-upstream']).toBe('auth');
    // 198.51.100.7 is the first address not a trusted proxy, walking back from nginx's peer.
    expect(a.headers['x-seen-forwarded-for']).toBe('198.51.100.7');
    expect(a.headers['x-seen-real-ip']).toBe('198.51.100.7');
    // Without a header, the terminator itself is the client.
    expect((await get(port, '/auth/login', {}, TERMINATOR)).headers['x-seen-forwarded-for']).toBe(TERMINATOR);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const a = await get(port, '/auth/login', { 'X-Forwarded-For': '198.51.100.7' });
    expect(a.headers['x-seen-forwarded-for']).toBe('127.0.0.1');
    expect(a.headers['x-seen-real-ip']).toBe('127.0.0.1');
  });

  it('picks the gateway by the real client address behind a trusted proxy, not by the proxy', async () => {
    const gatewayOf = async (xff: string | undefined, from?: string) =>
      String(
        (await get(port, '/socket.io/?EIO=4&transport=polling', xff ? { 'X-Forwarded-For': xff } : {}, from))
          .headers['x-upstream'],
      );
    // Many clients behind one terminator spread over the gateways...
    const spread = new Set<string>();
    for (let i = 1; i <= 40; i++) spread.add(await gatewayOf(`198.51.100.${i}`, TERMINATOR));
    expect(spread.size).toBeGreaterThanOrEqual(2);
    // ...each staying on its own gateway...
    for (let i = 1; i <= 5; i++) {
      const first = await gatewayOf(`198.51.100.${i}`, TERMINATOR);
      for (let j = 0; j < 3; j++) expect(await gatewayOf(`198.51.100.${i}`, TERMINATOR)).toBe(first);
    }
    // ...while an untrusted client cannot move itself with the header.
    const own = new Set<string>();
    for (let i = 1; i <= 20; i++) own.add(await gatewayOf(`198.51.100.${i}`));
    expect(own.size).toBe(1);
  });

  it("the image's entrypoint refuses a TRUSTED_PROXIES entry that is not an address", () => {
    for (const bad of ['10.0.0.0/8;include /etc/passwd', 'example.com', '*']) {
      const r = spawnSync('sh', [repoPath('deploy', 'docker', 'web-entrypoint.sh'), 'true'], {
        encoding: 'utf8',
        env: { ...process.env, TRUSTED_PROXIES: bad, NGINX_RENDERED_DIR: join(dir, 'refused') },
      });
      expect({ bad, status: r.status }).toEqual({ bad, status: 64 });
    }
  });
});
