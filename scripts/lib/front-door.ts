import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve } from 'node:path';
import httpProxy from 'http-proxy';

/**
 * The local front door: one origin that routes by the contract's path prefixes (auth, media,
 * gateway REST and socket.io, the web client for everything else), like nginx in compose and the
 * HTTPRoute in Kubernetes. With several gateways it pins each client address to one of them, so
 * socket.io's polling transport keeps hitting the replica that holds its session.
 */
export interface FrontDoorOptions {
  port: number;
  host?: string;
  auth: string;
  media: string;
  gateways: string[];
  /** Built web client (index.html and assets); omitted: everything else answers 404. */
  webRoot?: string;
  /** Content-Security-Policy for the web client. */
  csp?: string;
}

export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self' ws: wss:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const GATEWAY_PREFIXES = ['/socket.io/', '/channels', '/messages', '/dms', '/search', '/users'];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
};

function matches(path: string, prefix: string): boolean {
  const bare = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === bare || path.startsWith(bare + '/') || path.startsWith(bare + '?');
}

export function routeFor(path: string): 'auth' | 'media' | 'gateway' | 'web' {
  if (matches(path, '/auth/')) return 'auth';
  if (matches(path, '/files')) return 'media';
  if (GATEWAY_PREFIXES.some((p) => matches(path, p))) return 'gateway';
  return 'web';
}

const STICKY_COOKIE = 'chat_gw';

/**
 * Picks a gateway. A client carrying the sticky cookie keeps its gateway (socket.io's polling
 * transport needs every request of a session on one replica); a new one gets the next gateway in
 * turn, and `stick` is told which so the HTTP answer can set the cookie.
 */
export function gatewayPicker(gateways: string[]) {
  let next = 0;
  return (req: IncomingMessage): { target: string; index: number; fresh: boolean } => {
    const m = new RegExp(`(?:^|;\\s*)${STICKY_COOKIE}=(\\d+)`).exec(req.headers.cookie ?? '');
    const pinned = m ? Number(m[1]) : NaN;
    if (Number.isInteger(pinned) && pinned >= 0 && pinned < gateways.length) {
      return { target: gateways[pinned], index: pinned, fresh: false };
    }
    const index = next++ % gateways.length;
    return { target: gateways[index], index, fresh: true };
  };
}

function serveWeb(root: string, csp: string, req: IncomingMessage, res: ServerResponse): void {
  const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
  const candidate = normalize(join(root, urlPath));
  const inside = candidate.startsWith(resolve(root));
  const file =
    inside && existsSync(candidate) && statSync(candidate).isFile() ? candidate : join(root, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('web client not built: run npm run build:web');
    return;
  }
  const type = MIME[extname(file)] ?? 'application/octet-stream';
  const immutable = file.includes(`${join(root, 'assets')}`);
  res.writeHead(200, {
    'content-type': type,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  createReadStream(file).pipe(res);
}

export async function startFrontDoor(opts: FrontDoorOptions): Promise<Server> {
  const proxy = httpProxy.createProxyServer({ xfwd: true, ws: true, proxyTimeout: 120_000 });
  proxy.on('error', (_err, _req, resOrSocket) => {
    const res = resOrSocket as ServerResponse | Duplex;
    if ('writeHead' in res && !res.headersSent) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          statusCode: 503,
          code: 'UNAVAILABLE',
          message: 'Upstream unavailable',
          requestId: 'front-door',
        }),
      );
    } else {
      res.destroy();
    }
  });
  const pick = gatewayPicker(opts.gateways);
  const server = createServer((req, res) => {
    const route = routeFor(req.url ?? '/');
    if (route === 'auth') proxy.web(req, res, { target: opts.auth });
    else if (route === 'media') proxy.web(req, res, { target: opts.media });
    else if (route === 'gateway') {
      const gw = pick(req);
      if (gw.fresh && opts.gateways.length > 1) {
        res.setHeader('set-cookie', `${STICKY_COOKIE}=${gw.index}; Path=/; HttpOnly; SameSite=Lax`);
      }
      proxy.web(req, res, { target: gw.target });
    } else if (opts.webRoot) serveWeb(opts.webRoot, opts.csp ?? WEB_CSP, req, res);
    else res.writeHead(404).end();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (routeFor(req.url ?? '/') !== 'gateway') {
      socket.destroy();
      return;
    }
    proxy.ws(req, socket, head, { target: pick(req).target });
  });
  // socket.io pings every 25 s and waits 20 s: idle keep-alives must outlive that.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done) => server.listen(opts.port, opts.host ?? '127.0.0.1', done));
  return server;
}
