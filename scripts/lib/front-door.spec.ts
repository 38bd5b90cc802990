import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import { bindFrontDoor, startFrontDoor, type FrontDoor } from './front-door';
import { ListenError } from './listen-error';

/** A stand-in gateway: names itself on every path and every WebSocket; /readyz answers `ready`. */
interface FakeGateway {
  name: string;
  url: string;
  ready: number;
  /** Requests it received (path only). */
  seen: string[];
  /** Stops listening and resets every connection, as a killed process would. */
  kill(): Promise<void>;
}

async function fakeGateway(name: string): Promise<FakeGateway> {
  const sockets = new Set<Socket>();
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.send(name));
  const gw: FakeGateway = {
    name,
    url: '',
    ready: 200,
    seen: [],
    kill: () =>
      new Promise((done) => {
        server.close(() => done());
        for (const s of sockets) s.resetAndDestroy();
      }),
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/readyz') {
      res.writeHead(gw.ready).end();
      return;
    }
    gw.seen.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    gw.seen.push(req.url ?? '');
    if (req.url?.includes('sid=gone')) {
      // What socket.io answers for a session it does not hold.
      const body = '{"code":1,"message":"Session ID unknown"}';
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  gw.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gw;
}

interface Answer {
  status: number;
  body: string;
  /** The sticky cookie the answer set, as `name=value`. */
  cookie?: string;
}

function call(base: string, path: string, opts: { method?: string; cookie?: string } = {}): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(
      `${base}${path}`,
      {
        method: opts.method ?? 'GET',
        agent: false,
        headers: opts.cookie ? { cookie: opts.cookie } : {},
      },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          done({ status: res.statusCode ?? 0, body, cookie: res.headers['set-cookie']?.[0]?.split(';')[0] }),
        );
      },
    );
    req.on('error', fail);
    req.end(opts.method === 'POST' ? '{}' : undefined);
  });
}

/** Opens a WebSocket through the door; resolves with the first message (the gateway's name). */
function greeting(base: string, path: string, cookie?: string): Promise<{ ws: WebSocket; from: string }> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}${path}`, { headers: cookie ? { cookie } : {} });
    ws.once('message', (data: Buffer) => done({ ws, from: data.toString() }));
    ws.once('error', fail);
  });
}

/** Resolves once `check` holds, polling; rejects after `timeoutMs` with `what`. */
async function until(check: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - started;
}

describe('front door: gateways in turn, sticky, around the dead', () => {
  let gateways: FakeGateway[];
  let door: FrontDoor;
  let base: string;
  const sockets: WebSocket[] = [];

  /** Three gateways behind a door; `healthIntervalMs: 0` leaves only the passive checks. */
  async function start(healthIntervalMs?: number, webRoot?: string): Promise<void> {
    gateways = [await fakeGateway('gw0'), await fakeGateway('gw1'), await fakeGateway('gw2')];
    door = await startFrontDoor({
      port: 0,
      auth: gateways[0].url,
      media: gateways[0].url,
      gateways: gateways.map((g) => g.url),
      healthIntervalMs,
      webRoot,
    });
    base = `http://127.0.0.1:${(door.address() as AddressInfo).port}`;
  }

  afterEach(async () => {
    for (const ws of sockets.splice(0)) ws.terminate();
    door.closeAllConnections();
    await new Promise((done) => door.close(done));
    await Promise.all(gateways.map((g) => g.kill()));
  });

  it('deals new clients out in turn and keeps each on its gateway by cookie', async () => {
    await start();
    const first = await Promise.all([0, 1, 2].map(() => call(base, '/channels')));
    expect(first.map((a) => a.body).sort()).toEqual(['gw0', 'gw1', 'gw2']);
    for (const a of first) {
      expect(a.cookie).toMatch(/^chat_gw=\d$/);
      // Pinned: the same gateway every time, and no new cookie.
      for (const path of ['/channels', '/socket.io/?EIO=4&transport=polling&sid=abc']) {
        expect(await call(base, path, { cookie: a.cookie })).toMatchObject({
          body: a.body,
          cookie: undefined,
        });
      }
    }
  });

  it('pins a browser on its first page load, so its parallel API calls share one gateway', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-door-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html>');
    writeFileSync(join(webRoot, 'assets', 'app.js'), '');
    await start(undefined, webRoot);
    const pages = [await call(base, '/'), await call(base, '/channels/123')];
    expect(pages.map((p) => p.cookie)).toEqual(['chat_gw=0', 'chat_gw=1']);
    // Assets neither pin nor use up a turn.
    expect((await call(base, '/assets/app.js')).cookie).toBeUndefined();
    const calls = await Promise.all(
      [0, 1, 2, 3].map(() => call(base, '/channels', { cookie: pages[1].cookie })),
    );
    expect(calls.map((a) => [a.body, a.cookie])).toEqual(Array(4).fill(['gw1', undefined]));
    expect((await call(base, '/')).cookie).toBe('chat_gw=2');
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('sends an idempotent request to another gateway when its own refuses, and re-pins the client', async () => {
    await start(0);
    const pinned = await call(base, '/channels');
    const victim = gateways.find((g) => g.name === pinned.body)!;
    await victim.kill();

    const again = await call(base, '/channels', { cookie: pinned.cookie });
    expect(again.status).toBe(200);
    expect(again.body).not.toBe(victim.name);
    expect(again.cookie).toMatch(/^chat_gw=\d$/);
    expect(again.cookie).not.toBe(pinned.cookie);
    // Known dead now: no new client is dealt to it.
    const fresh = await Promise.all([0, 1, 2, 3].map(() => call(base, '/channels')));
    expect(fresh.map((a) => a.body)).not.toContain(victim.name);
    expect(door.gateways.states().find((s) => s.url === victim.url)?.state).toBe('down');
  });

  it('answers 503 rather than replay a request with a body, and forgets the dead gateway for the next', async () => {
    await start(0);
    const pinned = await call(base, '/channels');
    const victim = gateways.find((g) => g.name === pinned.body)!;
    await victim.kill();
    const post = await call(base, '/messages', { method: 'POST', cookie: pinned.cookie });
    expect(post.status).toBe(503);
    expect(JSON.parse(post.body)).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE' });
    // The client's retry goes to a live gateway.
    const retry = await call(base, '/messages', { method: 'POST', cookie: pinned.cookie });
    expect(retry.status).toBe(200);
    expect(retry.body).not.toBe(victim.name);
  });

  it('stops dealing clients to a killed gateway within a probe interval, before any request fails there', async () => {
    await start();
    const victim = gateways[1];
    await victim.kill();
    const tookMs = await until(
      () => door.gateways.states()[1].state === 'down',
      2000,
      'the killed gateway marked down',
    );
    expect(tookMs).toBeLessThan(2000);
    const fresh = await Promise.all([0, 1, 2, 3, 4, 5].map(() => call(base, '/channels')));
    expect(fresh.map((a) => [a.status, a.body]).sort()).toEqual([
      ...Array(3).fill([200, 'gw0']),
      ...Array(3).fill([200, 'gw2']),
    ]);
    // Not even tried (and retried elsewhere): the survivors took three requests each, in turn.
    expect(gateways.map((g) => g.seen.length)).toEqual([3, 0, 3]);
  });

  it('keeps the sessions of a draining gateway but sends its new clients elsewhere, and takes it back when ready', async () => {
    await start();
    const pinned = await call(base, '/channels');
    const draining = gateways.find((g) => g.name === pinned.body)!;
    draining.ready = 503;
    const index = gateways.indexOf(draining);
    await until(() => door.gateways.states()[index].state === 'unready', 2000, 'draining seen');

    // Its socket.io session keeps polling it; anything else of the client's moves, re-pinned.
    const poll = await call(base, '/socket.io/?EIO=4&transport=polling&sid=abc', { cookie: pinned.cookie });
    expect(poll).toMatchObject({ body: draining.name, cookie: undefined });
    const rest = await call(base, '/channels', { cookie: pinned.cookie });
    expect(rest.body).not.toBe(draining.name);
    expect(rest.cookie).toBeDefined();
    const fresh = await Promise.all([0, 1, 2, 3].map(() => call(base, '/channels')));
    expect(fresh.map((a) => a.body)).not.toContain(draining.name);

    draining.ready = 200;
    await until(() => door.gateways.states()[index].state === 'ready', 2000, 'ready again');
    const back = await Promise.all([0, 1, 2].map(() => call(base, '/channels')));
    expect(back.map((a) => a.body).sort()).toEqual(['gw0', 'gw1', 'gw2']);
  });

  it('tunnels WebSockets to the pinned gateway, and a handshake the pinned one refuses to another', async () => {
    await start(0);
    const pinned = await call(base, '/channels');
    const through = await greeting(base, '/socket.io/?EIO=4&transport=websocket', pinned.cookie);
    sockets.push(through.ws);
    expect(through.from).toBe(pinned.body);
    const victim = gateways.find((g) => g.name === pinned.body)!;
    await victim.kill();
    const moved = await greeting(base, '/socket.io/?EIO=4&transport=websocket', pinned.cookie);
    sockets.push(moved.ws);
    expect(moved.from).not.toBe(victim.name);
    expect(door.gateways.states()[gateways.indexOf(victim)].state).toBe('down');
  });

  it('passes on an upgrade the gateway refuses, as the gateway answered it', async () => {
    await start();
    const answer = await new Promise<{ status: number; body: string }>((done, fail) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=gone`);
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => done({ status: res.statusCode ?? 0, body }));
      });
      ws.once('open', () => fail(new Error('upgraded')));
    });
    expect(answer).toEqual({ status: 400, body: '{"code":1,"message":"Session ID unknown"}' });
  });

  it('ends its WebSocket tunnels on closeAllConnections, so close() returns', async () => {
    await start();
    const { ws } = await greeting(base, '/socket.io/?EIO=4&transport=websocket');
    sockets.push(ws);
    const closed = new Promise<void>((done) => ws.once('close', () => done()));
    door.closeAllConnections();
    await closed;
  });

  it('answers a malformed percent-encoding 400 in the error shape and keeps serving (it ended the process)', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-door-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html>');
    await start(0, webRoot);
    for (const path of ['/%E0', '/%E0%A4%A', '/assets/%zz', '/%00']) {
      const bad = await call(base, path);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
    }
    expect((await call(base, '/')).status).toBe(200);
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('refuses an HTTP/0.9 request line with 400 instead of serving the page', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-door-web-'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html>');
    await start(0, webRoot);
    const { port } = new URL(base);
    const answer = await new Promise<string>((done, fail) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('close', () => done(text));
      socket.on('error', fail);
      socket.on('connect', () => socket.write('GET /\r\n\r\n'));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'VALIDATION' });
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('serves nothing from a sibling directory whose name starts with the web root', async () => {
    const webRoot = mkdtempSync(join(tmpdir(), 'chat-door-web-'));
    writeFileSync(join(webRoot, 'index.html'), 'the page');
    mkdirSync(`${webRoot}-old`);
    writeFileSync(join(`${webRoot}-old`, 'secret.txt'), 'secret');
    await start(0, webRoot);
    const sibling = `${webRoot.split('/').pop()}-old`;
    const answer = await call(base, `/..%2f${sibling}%2fsecret.txt`);
    expect(answer.body).toBe('the page');
    rmSync(webRoot, { recursive: true, force: true });
    rmSync(`${webRoot}-old`, { recursive: true, force: true });
  });

  it('refuses upgrades other than a WebSocket GET of /socket.io/ with a 400, without asking a gateway', async () => {
    await start(0);
    const upgrades = [
      ['GET', '/channels', 'websocket'],
      ['GET', '/socket.io/?EIO=4&transport=websocket', 'h2c'],
      ['POST', '/socket.io/?EIO=4&transport=websocket', 'websocket'],
    ];
    for (const [method, path, protocol] of upgrades) {
      const status = await new Promise<number>((done, fail) => {
        const req = request(`${base}${path}`, {
          method,
          agent: false,
          headers: { connection: 'Upgrade', upgrade: protocol },
        });
        req.on('response', (res) => {
          res.resume();
          done(res.statusCode ?? 0);
        });
        req.on('upgrade', () => fail(new Error('upgraded')));
        req.on('error', fail);
        req.end();
      });
      expect(status).toBe(400);
    }
    expect(gateways.flatMap((g) => g.seen)).toEqual([]);
  });

  it('survives a tunnel reset from either side, and keeps tunnelling', async () => {
    await start(0);
    // The client resets its end mid-tunnel.
    const one = await greeting(base, '/socket.io/?EIO=4&transport=websocket');
    (one.ws as unknown as { _socket: Socket })._socket.resetAndDestroy();
    // The gateway dies under an open tunnel (its sockets reset).
    const two = await greeting(base, '/socket.io/?EIO=4&transport=websocket');
    sockets.push(two.ws);
    const closed = new Promise<void>((done) => two.ws.once('close', () => done()));
    await gateways.find((g) => g.name === two.from)!.kill();
    await closed;
    const three = await greeting(base, '/socket.io/?EIO=4&transport=websocket');
    sockets.push(three.ws);
    expect(three.from).not.toBe(two.from);
  });
});

describe('front door: its port', () => {
  it('fails at once, naming the address, when the port is taken; it never hangs', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen(0, '127.0.0.1', done));
    const { port } = holder.address() as AddressInfo;
    try {
      const started = startFrontDoor({
        port,
        auth: 'http://127.0.0.1:1',
        media: 'http://127.0.0.1:1',
        gateways: [],
      });
      await expect(started).rejects.toThrow(ListenError);
      await expect(started).rejects.toThrow(
        `the front door cannot listen on 127.0.0.1:${port}: another process is listening on it (EADDRINUSE)`,
      );
      // The holder still serves: the failed door took nothing over.
      expect(holder.listening).toBe(true);
    } finally {
      await new Promise((done) => holder.close(done));
    }
  });

  it('holds its port from the bind, answers 503 in the error shape until started, then routes', async () => {
    const gw = await fakeGateway('gw0');
    const bound = await bindFrontDoor(0);
    const base = `http://127.0.0.1:${(bound.address() as AddressInfo).port}`;
    try {
      const early = await call(base, '/channels');
      expect(early.status).toBe(503);
      expect(JSON.parse(early.body)).toMatchObject({
        statusCode: 503,
        code: 'UNAVAILABLE',
        message: 'Starting',
      });
      expect(gw.seen).toEqual([]);
      const door = await startFrontDoor({ port: 0, bound, auth: gw.url, media: gw.url, gateways: [gw.url] });
      expect(door).toBe(bound);
      expect(await call(base, '/channels')).toMatchObject({ status: 200, body: 'gw0' });
      expect((await greeting(base, '/socket.io/?EIO=4&transport=websocket')).from).toBe('gw0');
    } finally {
      bound.closeAllConnections();
      await new Promise((done) => bound.close(done));
      await gw.kill();
    }
  });
});
