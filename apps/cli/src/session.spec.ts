import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatError } from './errors';
import { Api } from './http';
import { refreshMargin, Session, type Clock } from './session';

const USER = { id: 'u1', username: 'alice', roles: ['member'], createdAt: '2026-12-01T00:00:00.000Z' };

/**
 * A stand-in auth service over real HTTP with the contract's rules: refresh tokens are single-use
 * (presenting a spent one is refused), only the newest access token is accepted.
 */
class FakeAuth {
  server!: Server;
  url = '';
  generation = 1;
  expiresIn = 900;
  refreshCalls: string[] = [];
  logouts: string[] = [];
  /** Refresh answers 401 from now on (the login was revoked). */
  revoked = false;
  bots = new Set(['bot-token']);
  /** Access tokens refused although current. */
  refused = new Set<string>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  private pair() {
    return {
      user: USER,
      accessToken: `a${this.generation}`,
      refreshToken: `r${this.generation}`,
      expiresIn: this.expiresIn,
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = raw ? (JSON.parse(raw) as Record<string, string>) : {};
    const send = (status: number, data?: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(data === undefined ? undefined : JSON.stringify(data));
    };
    const unauthorized = (message: string) =>
      send(401, { statusCode: 401, code: 'UNAUTHORIZED', message, requestId: 'req-1' });
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    switch (`${req.method} ${req.url}`) {
      case 'POST /auth/login':
        if (body.password !== 'right') return unauthorized('Invalid username or password');
        return send(200, this.pair());
      case 'POST /auth/refresh':
        this.refreshCalls.push(body.refreshToken);
        // Let concurrent callers pile up, as they would behind a slow network.
        await new Promise((r) => setTimeout(r, 50));
        if (this.revoked || body.refreshToken !== `r${this.generation}`)
          return unauthorized('Refresh token revoked');
        this.generation++;
        return send(200, this.pair());
      case 'POST /auth/logout':
        this.logouts.push(body.refreshToken);
        return send(204);
      case 'GET /auth/me':
      case 'GET /channels':
        if (this.refused.has(bearer)) return unauthorized('Invalid token');
        if (bearer !== `a${this.generation}` && !this.bots.has(bearer)) return unauthorized('Invalid token');
        return send(200, req.url === '/channels' ? [] : USER);
      default:
        return send(404, { statusCode: 404, code: 'NOT_FOUND', message: 'Not found', requestId: 'req-2' });
    }
  }
}

/** Time that moves only when told; the refresh timer is captured, not run. */
class TestClock implements Clock {
  at = 1_000_000;
  scheduled: { fn: () => void; ms: number } | null = null;
  now = () => this.at;
  setTimer = (fn: () => void, ms: number): NodeJS.Timeout => {
    this.scheduled = { fn, ms };
    return setTimeout(() => undefined, 0);
  };
}

describe('Session', () => {
  let auth: FakeAuth;
  let clock: TestClock;
  let api: Api;

  beforeEach(async () => {
    auth = new FakeAuth();
    await auth.start();
    clock = new TestClock();
    api = new Api(auth.url);
  });

  afterEach(() => auth.stop());

  it('refreshes a minute before a 15-minute token expires, or a quarter of a short lifetime', async () => {
    expect(refreshMargin(900_000)).toBe(60_000);
    expect(refreshMargin(8_000)).toBe(2_000);
    await Session.login(api, 'alice', 'right', clock);
    expect(clock.scheduled?.ms).toBe(840_000);
  });

  it('renews on its timer and uses the new token from then on', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    clock.at += 840_000;
    clock.scheduled!.fn();
    // The timer's refresh is in flight: joining it (one request) waits for its end.
    await session.refresh();
    expect(auth.refreshCalls).toEqual(['r1']);
    expect(session.currentToken).toBe('a2');
    expect(await api.channels()).toEqual([]);
    session.dispose();
  });

  it('shares one refresh between callers who all need a fresh token at once', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    clock.at += 850_000; // inside the margin
    const tokens = await Promise.all([session.getAccessToken(), session.getAccessToken(), api.channels()]);
    expect(tokens.slice(0, 2)).toEqual(['a2', 'a2']);
    // A second POST with r1 would be taken as theft and end the login.
    expect(auth.refreshCalls).toEqual(['r1']);
    session.dispose();
  });

  it('answers a 401 with one refresh and one retry, and gives up on a second 401', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    // The server stops taking a1 before its time (e.g. a signing key rotated).
    auth.refused.add('a1');
    expect(await api.channels()).toEqual([]);
    expect(auth.refreshCalls).toEqual(['r1']);
    expect(session.currentToken).toBe('a2');

    auth.refused.add('a2');
    auth.refused.add('a3');
    await expect(api.channels()).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
    expect(auth.refreshCalls).toEqual(['r1', 'r2']);
    session.dispose();
  });

  it('ends the login once when the refresh is refused, and asks no more', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    const ended: ChatError[] = [];
    session.onEnded = (err) => ended.push(err);
    auth.revoked = true;
    clock.at += 850_000;
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(ended).toHaveLength(1);
    expect(ended[0].message).toMatch(/session has ended: Refresh token revoked/);
    expect(auth.refreshCalls).toEqual(['r1']);
  });

  it('keeps the login through a network failure and tries again in 5 s', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    await auth.stop();
    clock.at += 850_000;
    await expect(session.refresh()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(clock.scheduled?.ms).toBe(5_000);
    expect(session.currentToken).toBe('a1');
    await auth.start(); // (a new port: nothing more to check against it)
    session.dispose();
  });

  it('refuses a wrong password with the server’s message', async () => {
    const err = await Session.login(api, 'alice', 'wrong', clock).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatError);
    expect(err).toMatchObject({ code: 'UNAUTHORIZED', status: 401, message: 'Invalid username or password' });
  });

  it('uses a bot token as is, after checking it, and never refreshes it', async () => {
    const session = await Session.withToken(api, 'bot-token', clock);
    expect(session.user.username).toBe('alice');
    expect(session.canRefresh).toBe(false);
    expect(clock.scheduled).toBeNull();
    clock.at += 10 * 3600_000;
    expect(await session.getAccessToken()).toBe('bot-token');
    await expect(Session.withToken(api, 'forged', clock)).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
      message: 'The server refused the token',
    });
    expect(auth.refreshCalls).toEqual([]);
  });

  it('logs out with its refresh token, so it dies with the process', async () => {
    const session = await Session.login(api, 'alice', 'right', clock);
    await session.logout();
    expect(auth.logouts).toEqual(['r1']);
    await expect(session.getAccessToken()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
