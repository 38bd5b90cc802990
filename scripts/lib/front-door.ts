import { createReadStream, existsSync, statSync } from 'node:fs';
import {
  createServer,
  get as httpGet,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve } from 'node:path';
import httpProxy from 'http-proxy';

/**
 * The local front door: one origin that routes by the contract's path prefixes (auth, media,
 * gateway REST and socket.io, the web client for everything else), like nginx in compose and the
 * HTTPRoute in Kubernetes. With several gateways it deals browsers out in turn and pins each to
 * its gateway with a cookie, so socket.io's polling transport keeps hitting the replica that holds
 * its session; a gateway that dies or drains stops getting new clients within about a second.
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
  /**
   * How often each gateway's /readyz is read (default 1000 ms; 0: never, only refused connections
   * mark a gateway down). Bounds how long a dead or draining gateway keeps getting new clients.
   */
  healthIntervalMs?: number;
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
const STICKY = new RegExp(`(?:^|;\\s*)${STICKY_COOKIE}=(\\d+)`);

/**
 * What the front door knows of a gateway. `ready` takes new clients; `unready` (its /readyz says
 * no: draining, or a dependency down) keeps the socket.io sessions it holds but gets no new ones;
 * `down` (refuses connections, or stopped answering) gets nothing while another can take it.
 */
export type UpstreamState = 'ready' | 'unready' | 'down';

export interface GatewayChoice {
  index: number;
  target: string;
  /** The client was not pinned here (new, or its gateway is gone): the answer sets the cookie. */
  repin: boolean;
}

/** A request of an established socket.io session (a poll, or its upgrade): only its gateway knows the sid. */
function inSession(url: string): boolean {
  return url.startsWith('/socket.io/') && /[?&]sid=/.test(url);
}

/** Probe timeouts in a row before a gateway that still accepts connections counts as down. */
const SLOW_PROBES_BEFORE_DOWN = 2;

/**
 * The gateways behind the front door, their health, and which one a client gets. A client carrying
 * the sticky cookie keeps its gateway (socket.io's polling transport needs every request of a
 * session on one replica) until that gateway is down; a new client gets the next ready one in turn.
 * Health is learnt passively (a refused connection marks a gateway down at once) and actively
 * (`probe` reads every /readyz), so a dead gateway stops getting clients within a probe interval.
 */
export class GatewayPool {
  private readonly upstreams: { url: string; state: UpstreamState; slowProbes: number; probing: boolean }[] =
    [];
  private next = 0;

  constructor(urls: string[]) {
    for (const url of urls) this.add(url);
  }

  get size(): number {
    return this.upstreams.length;
  }

  /** Adds a gateway (assumed ready: callers add one once its /readyz answers); its index. */
  add(url: string): number {
    this.upstreams.push({ url, state: 'ready', slowProbes: 0, probing: false });
    return this.upstreams.length - 1;
  }

  states(): { url: string; state: UpstreamState }[] {
    return this.upstreams.map(({ url, state }) => ({ url, state }));
  }

  markDown(index: number): void {
    this.upstreams[index].state = 'down';
  }

  /** The gateway index in the request's sticky cookie, if it names one. */
  pinned(req: IncomingMessage): number | undefined {
    const m = STICKY.exec(req.headers.cookie ?? '');
    const index = m ? Number(m[1]) : NaN;
    return Number.isInteger(index) && index < this.upstreams.length ? index : undefined;
  }

  /** The gateway for `req`, skipping those already `tried` for it; undefined when none is left. */
  pick(req: IncomingMessage, tried: ReadonlySet<number> = new Set()): GatewayChoice | undefined {
    const pinned = this.pinned(req);
    if (pinned !== undefined && !tried.has(pinned)) {
      const { state, url } = this.upstreams[pinned];
      if (state === 'ready' || (state === 'unready' && inSession(req.url ?? ''))) {
        return { index: pinned, target: url, repin: false };
      }
    }
    // With no ready gateway (a dependency they share is down), our view may be stale and a gateway
    // answers better than we do: try the unready ones, and the down ones last.
    for (const wanted of ['ready', 'unready', 'down'] as const) {
      for (let i = 0; i < this.upstreams.length; i++) {
        const index = (this.next + i) % this.upstreams.length;
        if (tried.has(index) || this.upstreams[index].state !== wanted) continue;
        this.next = index + 1;
        return { index, target: this.upstreams[index].url, repin: index !== pinned };
      }
    }
    return undefined;
  }

  /** Reads every gateway's /readyz once (a gateway whose last probe is still out is skipped). */
  probe(timeoutMs: number): void {
    for (const upstream of this.upstreams) {
      if (upstream.probing) continue;
      upstream.probing = true;
      const req = httpGet(`${upstream.url}/readyz`, { agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        upstream.probing = false;
        upstream.slowProbes = 0;
        upstream.state = res.statusCode === 200 ? 'ready' : 'unready';
      });
      // A probe never keeps the process alive.
      req.on('socket', (s) => s.unref());
      req.on('timeout', () => req.destroy(new ProbeTimeout()));
      req.on('error', (err) => {
        upstream.probing = false;
        if (!(err instanceof ProbeTimeout)) upstream.state = 'down';
        else if (++upstream.slowProbes >= SLOW_PROBES_BEFORE_DOWN) upstream.state = 'down';
      });
    }
  }
}

class ProbeTimeout extends Error {}

/** Errors that mean the gateway did not take the request: it is dead, or going. */
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT']);

function isConnectionError(err: unknown): boolean {
  return CONNECTION_ERRORS.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Requests that can be sent again to another gateway: their body (none) was not consumed. */
const RETRIABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function stickyCookie(index: number): string {
  return `${STICKY_COOKIE}=${index}; Path=/; HttpOnly; SameSite=Lax`;
}

function unavailable(res: ServerResponse | Duplex): void {
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
}

/** The head of an HTTP/1.1 response, from an upstream answer's raw headers. */
function responseHead(status: number, message: string, rawHeaders: string[]): string {
  const lines = [`HTTP/1.1 ${status} ${message}`];
  for (let i = 0; i < rawHeaders.length; i += 2) lines.push(`${rawHeaders[i]}: ${rawHeaders[i + 1]}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Forwards a WebSocket upgrade to `target` and then pipes the two sockets. Written out rather than
 * http-proxy's `ws()`, which ends the client socket when the upstream refuses: here `refused` is
 * called instead, before a byte went back to the client, so the handshake can go to another gateway.
 */
function tunnel(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  target: string,
  refused: (err: Error) => void,
): void {
  const url = new URL(target);
  const headers = { ...req.headers };
  const append = (name: string, value: string) => {
    const prior = headers[name];
    headers[name] = prior ? `${String(prior)},${value}` : value;
  };
  append('x-forwarded-for', req.socket.remoteAddress ?? '');
  append('x-forwarded-port', String(req.socket.localPort ?? ''));
  append('x-forwarded-proto', 'ws');
  const out = httpRequest({
    hostname: url.hostname,
    port: url.port,
    method: req.method,
    path: req.url,
    headers,
    agent: false,
  });
  let answered = false;
  const abandon = () => out.destroy();
  client.once('close', abandon);
  out.on('error', (err) => {
    client.off('close', abandon);
    if (!answered && !client.destroyed) refused(err);
    else client.destroy();
  });
  // The upstream answered without upgrading (e.g. socket.io's 400 for an unknown session): pass the
  // answer on, re-framed, since the body arrives already de-chunked.
  out.on('response', (res) => {
    answered = true;
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      const raw: string[] = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i].toLowerCase();
        if (name !== 'transfer-encoding' && name !== 'content-length' && name !== 'connection')
          raw.push(res.rawHeaders[i], res.rawHeaders[i + 1]);
      }
      raw.push('Content-Length', String(body.length), 'Connection', 'close');
      client.end(
        Buffer.concat([Buffer.from(responseHead(res.statusCode ?? 502, res.statusMessage ?? '', raw)), body]),
      );
    });
  });
  out.on('upgrade', (res, upstream, upstreamHead) => {
    answered = true;
    client.off('close', abandon);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end).on('close', end);
    client.on('error', end).on('close', end);
    upstream.setNoDelay(true);
    upstream.setTimeout(0);
    client.write(responseHead(101, 'Switching Protocols', res.rawHeaders));
    if (upstreamHead.length) client.write(upstreamHead);
    if (head.length) upstream.write(head);
    upstream.pipe(client).pipe(upstream);
  });
  out.end();
}

/** Serves the web client; `onDocument` runs before the headers of index.html (the app's page). */
function serveWeb(
  root: string,
  csp: string,
  req: IncomingMessage,
  res: ServerResponse,
  onDocument: () => void,
): void {
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
  if (file === join(root, 'index.html')) onDocument();
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

/** The front door's HTTP server, and the gateways it balances (`gateways.add` for one started later). */
export interface FrontDoor extends Server {
  readonly gateways: GatewayPool;
}

export async function startFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  const proxy = httpProxy.createProxyServer({ xfwd: true, proxyTimeout: 120_000 });
  // Gateway requests handle their errors in a callback; this answers for auth and media.
  proxy.on('error', (_err, _req, res) => unavailable(res));
  const pool = new GatewayPool(opts.gateways);
  const pin = (res: ServerResponse, choice: GatewayChoice) => {
    if (choice.repin && pool.size > 1) res.setHeader('set-cookie', stickyCookie(choice.index));
  };

  const toGateway = (req: IncomingMessage, res: ServerResponse, tried = new Set<number>()): void => {
    const choice = pool.pick(req, tried);
    if (!choice) return unavailable(res);
    pin(res, choice);
    proxy.web(req, res, { target: choice.target }, (err) => {
      // The client went away, or the gateway failed mid-answer: nothing to retry.
      if (req.socket.destroyed || !isConnectionError(err)) return unavailable(res);
      pool.markDown(choice.index);
      tried.add(choice.index);
      if (!res.headersSent && RETRIABLE_METHODS.has(req.method ?? '')) toGateway(req, res, tried);
      else unavailable(res);
    });
  };

  const server = createServer((req, res) => {
    const route = routeFor(req.url ?? '/');
    if (route === 'auth') proxy.web(req, res, { target: opts.auth });
    else if (route === 'media') proxy.web(req, res, { target: opts.media });
    else if (route === 'gateway') toGateway(req, res);
    else if (opts.webRoot) {
      // A new browser is pinned by the page itself, before the app fires its first API calls in
      // parallel (each of which would otherwise be dealt a gateway of its own): browsers, not
      // requests, are dealt out in turn.
      serveWeb(opts.webRoot, opts.csp ?? WEB_CSP, req, res, () => {
        const choice = pool.size > 1 ? pool.pick(req) : undefined;
        if (choice) pin(res, choice);
      });
    } else res.writeHead(404).end();
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (routeFor(req.url ?? '/') !== 'gateway') {
      socket.destroy();
      return;
    }
    const attempt = (tried: Set<number>): void => {
      const choice = pool.pick(req, tried);
      if (!choice) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      tunnel(req, socket, head, choice.target, (err) => {
        if (!isConnectionError(err)) return void socket.destroy();
        pool.markDown(choice.index);
        tried.add(choice.index);
        attempt(tried);
      });
    };
    attempt(new Set());
  });

  // node stops tracking a connection once it is upgraded, so closeAllConnections() would leave the
  // WebSocket tunnels open (and close() waiting for them): they are tracked here and ended too.
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const closeHttp = server.closeAllConnections.bind(server);
  server.closeAllConnections = () => {
    closeHttp();
    for (const s of sockets) s.destroy();
  };

  const every = opts.healthIntervalMs ?? 1000;
  if (every > 0) {
    // Only worth it with somewhere else to send clients; a probe never keeps the process alive.
    const timer = setInterval(() => pool.size > 1 && pool.probe(Math.max(2 * every, 2000)), every);
    timer.unref();
    server.once('close', () => clearInterval(timer));
  }

  // socket.io pings every 25 s and waits 20 s: idle keep-alives must outlive that.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done) => server.listen(opts.port, opts.host ?? '127.0.0.1', done));
  return Object.assign(server, { gateways: pool });
}
