import { request as httpRequest } from 'node:http';
import { startAuth, uniqueName, type Running } from '../../../test/support/apps';

/**
 * The login and registration budgets per client address, with TRUSTED_PROXIES: clients behind the
 * same trusted proxy (here 127.0.0.1, say nginx) each get their own budget from X-Forwarded-For,
 * while a peer that is not a trusted proxy (127.0.0.2) cannot pick its address by sending one.
 */

interface Answer {
  status: number;
  code?: string;
}

/** POSTs JSON from a chosen local address (127.0.0.x: all loopback on Linux). */
function post(url: string, path: string, body: object, from: string, xff?: string): Promise<Answer> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: 'POST',
        localAddress: from,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(xff ? { 'x-forwarded-for': xff } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let code: string | undefined;
          try {
            code = JSON.parse(text).code;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, code });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('auth: client addresses behind trusted proxies', () => {
  let auth: Running;
  const PROXY = '127.0.0.1';
  const STRANGER = '127.0.0.2';

  beforeAll(async () => {
    auth = await startAuth({
      REDIS_URL: '',
      TRUSTED_PROXIES: `${PROXY}/32`,
      LOGIN_MAX_FAILURES_PER_IP: '3',
      LOGIN_MAX_FAILURES_PER_USER: '1000',
      REGISTER_MAX_PER_IP_PER_HOUR: '2',
    });
  });
  afterAll(() => auth?.close());

  const failLogin = (from: string, xff?: string) =>
    post(auth.url, '/auth/login', { username: uniqueName('nobody'), password: 'wrong-password' }, from, xff);
  const register = (from: string, xff?: string) =>
    post(auth.url, '/auth/register', { username: uniqueName('reg'), password: 'password-123' }, from, xff);

  it('gives two clients behind the same trusted proxy separate login budgets', async () => {
    const a: number[] = [];
    for (let i = 0; i < 4; i++) a.push((await failLogin(PROXY, '198.51.100.1')).status);
    expect(a).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy is not locked out by the first.
    const b: number[] = [];
    for (let i = 0; i < 3; i++) b.push((await failLogin(PROXY, '198.51.100.2')).status);
    expect(b).toEqual([401, 401, 401]);
    // A client cannot escape by prepending addresses: the walk stops at the first untrusted hop.
    expect((await failLogin(PROXY, '203.0.113.77, 198.51.100.1')).status).toBe(429);
  });

  it('does not let a peer that is not a trusted proxy choose its address with X-Forwarded-For', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await failLogin(STRANGER, `192.0.2.${i + 1}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // ...and its lock-out is its own: a client behind the proxy is unaffected.
    expect((await failLogin(PROXY, '198.51.100.3')).status).toBe(401);
  });

  it('counts registrations per real client address', async () => {
    expect((await register(PROXY, '198.51.100.10')).status).toBe(201);
    expect((await register(PROXY, '198.51.100.10')).status).toBe(201);
    const third = await register(PROXY, '198.51.100.10');
    expect(third).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect((await register(PROXY, '198.51.100.11')).status).toBe(201);
    expect((await register(STRANGER, '198.51.100.12')).status).toBe(201);
    expect((await register(STRANGER, '198.51.100.13')).status).toBe(201);
    expect((await register(STRANGER, '198.51.100.14')).status).toBe(429);
  });
});
