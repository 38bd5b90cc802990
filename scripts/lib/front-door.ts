import { createReadStream, statSync } from 'node:fs';
import {
  Agent,
  createServer,
  get as httpGet,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, resolve, sep } from 'node:path';
import { createProxyServer } from 'http-proxy-3';
import { ListenError } from './listen-error';
import type { ErrorCode } from '@chat/contracts';
import { answerOnSocket, edgeRequestId, errorBody, guardHttpEdges } from '@chat/platform/http/edge';

/**
 * The local front door: one origin that routes by the contract's path prefixes (auth, media,
 * gateway REST and socket.io, the web client for everything else), like nginx in compose and the
 * HTTPRoute in Kubernetes. With several gateways it deals browsers out in turn and pins each to
 * its gateway with a cookie, so socket.io's polling transport keeps hitting the replica that holds
 * its session; a gateway that dies or drains stops getting new clients within about a second.
 *
 * The proxying itself is http-proxy-3's (a maintained rewrite of http-proxy, which has had no
 * release since 2020, with the same API). Whatever a client sends costs that request only: every
 * handler catches its own errors and answers in the contract's error shape, and every socket has
 * an `error` listener.
 */
export interface FrontDoorOptions {
  port: number;
  host?: string;
  /**
   * The front door's port, bound beforehand (`bindFrontDoor`), so the stacks learn their public
   * URL before the services start and nothing can take the port meanwhile. Omitted: bound here.
   */
  bound?: Server;
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

const GATEWAY_PREFIXES = [
  '/socket.io/',
  '/channels',
  '/messages',
  '/dms',
  '/search',
  '/users',
  '/push',
  '/hooks',
];

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

/** The front door's own answer, in the contract's error shape. */
function answer(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
): void {
  if (res.headersSent || res.destroyed) {
    // Part of another answer already left: cutting the connection is the only honest signal.
    res.destroy();
    return;
  }
  const body = errorBody(status, message, edgeRequestId(req), code);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** An upstream failed: 503 if nothing was answered yet (on a response or a raw socket), else cut. */
function unavailable(req: IncomingMessage, res: ServerResponse | Duplex): void {
  if ('writeHead' in res) answer(req, res, 503, 'UNAVAILABLE', 'Upstream unavailable');
  else answerOnSocket(res, 503, 'Upstream unavailable', { req, code: 'UNAVAILABLE' });
}

/**
 * How requests reach the services: marked keep-alive, so a service that answers before reading the
 * whole body (a 413 for a body over its limit) reads and drops the rest rather than closing on it,
 * which cut the proxy mid-write and turned the 413 into a 503; yet never reused, since a pooled
 * connection the service has just closed would fail like a dead gateway and be marked down.
 */
class OneRequestAgent extends Agent {
  override keepSocketAlive(): boolean {
    return false;
  }
}

const KEEP_ALIVE = { connection: 'keep-alive' };

/**
 * An agent that hands http-proxy-3 a connection already made. A WebSocket handshake connects to
 * the gateway first, here, because http-proxy-3 ends the client socket when the upstream refuses:
 * a refusal seen before handing over leaves the handshake free to go to another gateway.
 */
function handOver(upstream: Socket): Agent {
  const agent = new Agent();
  (agent as unknown as { createConnection: () => Socket }).createConnection = () => upstream;
  return agent;
}

function isFile(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    // ENAMETOOLONG, ENOTDIR, EACCES…: not a file we serve.
    return false;
  }
}

/** Serves the web client; `onDocument` runs before the headers of index.html (the app's page). */
function serveWeb(
  root: string,
  csp: string,
  req: IncomingMessage,
  res: ServerResponse,
  onDocument: () => void,
): void {
  // Static files answer GET and HEAD only, as nginx does; the services answer unknown routes 404.
  if (req.method !== 'GET' && req.method !== 'HEAD') return answer(req, res, 404, 'NOT_FOUND', 'Not found');
  let urlPath: string;
  try {
    urlPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
  } catch {
    // `/%E0`: not UTF-8 once decoded. This threw out of the request handler and ended the process.
    return answer(req, res, 400, 'VALIDATION', 'Malformed percent-encoding in the path');
  }
  if (urlPath.includes('\0')) return answer(req, res, 400, 'VALIDATION', 'NUL in the path');
  const base = resolve(root);
  const candidate = join(base, urlPath);
  // `base + sep`: a sibling directory sharing the prefix (`web-old/`) is outside, too.
  const inside = candidate === base || candidate.startsWith(base + sep);
  const index = join(base, 'index.html');
  const file = inside && isFile(candidate) ? candidate : index;
  if (!isFile(file)) {
    return answer(req, res, 404, 'NOT_FOUND', 'web client not built: run npm run build:web');
  }
  const type = MIME[extname(file)] ?? 'application/octet-stream';
  const immutable = file.startsWith(join(base, 'assets') + sep);
  if (file === index) onDocument();
  const headers = {
    'content-type': type,
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (req.method === 'HEAD') {
    res.writeHead(200, headers).end();
    return;
  }
  const stream = createReadStream(file);
  stream.once('error', () => {
    if (!res.headersSent) answer(req, res, 500, 'INTERNAL', 'Internal error');
    else res.destroy();
  });
  stream.once('open', () => {
    res.writeHead(200, headers);
    stream.pipe(res);
  });
  res.once('close', () => stream.destroy());
}

/**
 * The front door is the edge: the services trust loopback as a proxy (TRUSTED_PROXIES), so a client's
 * own X-Forwarded-For must not reach them. Dropped here, `xfwd` then sets it to the peer's address.
 */
function forgetForwardedFor(req: IncomingMessage): void {
  delete req.headers['x-forwarded-for'];
}

/** The front door's HTTP server, and the gateways it balances (`gateways.add` for one started later). */
export interface FrontDoor extends Server {
  readonly gateways: GatewayPool;
}

export async function startFrontDoor(opts: FrontDoorOptions): Promise<FrontDoor> {
  const proxy = createProxyServer({ xfwd: true, proxyTimeout: 120_000 });
  const agent = new OneRequestAgent({ keepAlive: true });
  // Every proxy call below passes its own error callback; http-proxy-3 still emits here for errors
  // of a proxied client socket. An 'error' event with no listener would end the process.
  proxy.on('error', (_err, req, res) => unavailable(req, res));
  const pool = new GatewayPool(opts.gateways);
  const pin = (res: ServerResponse, choice: GatewayChoice) => {
    if (choice.repin && pool.size > 1) res.setHeader('set-cookie', stickyCookie(choice.index));
  };

  const toService = (req: IncomingMessage, res: ServerResponse, target: string): void => {
    proxy.web(req, res, { target, agent, headers: KEEP_ALIVE }, () => unavailable(req, res));
  };

  const toGateway = (req: IncomingMessage, res: ServerResponse, tried = new Set<number>()): void => {
    const choice = pool.pick(req, tried);
    if (!choice) return unavailable(req, res);
    pin(res, choice);
    proxy.web(req, res, { target: choice.target, agent, headers: KEEP_ALIVE }, (err) => {
      // The client went away, or the gateway failed mid-answer: nothing to retry.
      if (req.socket.destroyed || !isConnectionError(err)) return unavailable(req, res);
      pool.markDown(choice.index);
      tried.add(choice.index);
      if (!res.headersSent && RETRIABLE_METHODS.has(req.method ?? '')) toGateway(req, res, tried);
      else unavailable(req, res);
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const route = routeFor(req.url ?? '/');
    if (route === 'auth') toService(req, res, opts.auth);
    else if (route === 'media') toService(req, res, opts.media);
    else if (route === 'gateway') toGateway(req, res);
    else if (opts.webRoot) {
      // A new browser is pinned by the page itself, before the app fires its first API calls in
      // parallel (each of which would otherwise be dealt a gateway of its own): browsers, not
      // requests, are dealt out in turn.
      serveWeb(opts.webRoot, opts.csp ?? WEB_CSP, req, res, () => {
        const choice = pool.size > 1 ? pool.pick(req) : undefined;
        if (choice) pin(res, choice);
      });
    } else answer(req, res, 404, 'NOT_FOUND', 'Not found');
  };

  const server = opts.bound ?? (await bindFrontDoor(opts.port, opts.host));
  // The bound server's one request listener is bindFrontDoor's "Starting": this one replaces it.
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    try {
      // Node parses an HTTP/0.9 request line ("GET /") and would serve it; nothing of ours speaks
      // it, and whether it got the page or a closed socket depended on timing.
      if (req.httpVersionMajor < 1) return answer(req, res, 400, 'VALIDATION', 'HTTP/1.0 or later required');
      forgetForwardedFor(req);
      handle(req, res);
    } catch (err) {
      // Whatever a request does, it costs that request only.
      console.error('[front door] request failed:', err);
      answer(req, res, 500, 'INTERNAL', 'Internal error');
    }
  });

  /** Connects to a gateway, the next one when it refuses; hands the handshake to http-proxy-3. */
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, tried: Set<number>): void => {
    const choice = pool.pick(req, tried);
    if (!choice) return answerOnSocket(socket, 503, 'Upstream unavailable', { req, code: 'UNAVAILABLE' });
    const target = new URL(choice.target);
    const upstream = connect({ host: target.hostname, port: Number(target.port) });
    const abandon = () => upstream.destroy();
    socket.once('close', abandon);
    const refused = (err: Error) => {
      socket.off('close', abandon);
      if (socket.destroyed) return;
      if (!isConnectionError(err))
        return answerOnSocket(socket, 503, 'Upstream unavailable', { req, code: 'UNAVAILABLE' });
      pool.markDown(choice.index);
      tried.add(choice.index);
      upgrade(req, socket, head, tried);
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      socket.off('close', abandon);
      upstream.off('error', refused);
      // From here the HTTP client and http-proxy-3 own the socket's errors; this one only makes sure
      // none is ever unhandled in between.
      upstream.on('error', () => upstream.destroy());
      proxy.ws(req, socket, head, { target: choice.target, agent: handOver(upstream) }, () =>
        unavailable(req, socket),
      );
    });
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    try {
      forgetForwardedFor(req);
      const url = req.url ?? '/';
      const websocket = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
      if (!url.startsWith('/socket.io/') || req.method !== 'GET' || !websocket) {
        answerOnSocket(socket, 400, 'Only WebSocket upgrades of GET /socket.io/ are served', { req });
        return;
      }
      upgrade(req, socket, head, new Set());
    } catch (err) {
      console.error('[front door] upgrade failed:', err);
      answerOnSocket(socket, 500, 'Internal error', { req, code: 'INTERNAL' });
    }
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

  return Object.assign(server, { gateways: pool });
}

/**
 * Binds the front door's port, before anything else of a stack starts: the public URL (CORS, links
 * in emails) is then the real one, and no other process can take the port while the services
 * start. Until `startFrontDoor` takes the server over, every request is answered 503 (starting).
 * A port that cannot be bound (in use, not allowed) rejects with a `ListenError` that names it.
 */
export async function bindFrontDoor(port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => answer(req, res, 503, 'UNAVAILABLE', 'Starting'));
  guardHttpEdges(server);
  // socket.io pings every 25 s and waits 20 s: idle keep-alives must outlive that.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      done();
    });
  }).catch(ListenError.wrap(host, port, 'the front door'));
  return server;
}
