import { Pool } from 'pg';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { Ack, ClientToServerEvents, Role, ServerToClientEvents } from '@chat/contracts';
import { createGatewayApp } from '../../apps/gateway/src/bootstrap';
import { loadGatewayConfig } from '../../apps/gateway/src/config';
import { listen, registerUser, request, testEnv, uniqueName, type Running } from './apps';

/** Server → client events, including the gateway's `session:ended` (docs/socket-protocol.md). */
export type ServerEvents = ServerToClientEvents & {
  'session:ended': (event: { code: string; message: string }) => void;
};
export type TestSocket = Socket<ServerEvents, ClientToServerEvents>;

/**
 * A gateway on a free port for `auth`'s tokens. Rate limits are raised out of the way unless a
 * test sets them; `overrides` are environment variables.
 */
export async function startGateway(
  auth: { jwksUrl: string },
  overrides: Record<string, string> = {},
): Promise<Running> {
  const config = loadGatewayConfig(
    testEnv({
      AUTH_JWKS_URL: auth.jwksUrl,
      COMMAND_RATE_PER_SECOND: '100000',
      HTTP_RATE_PER_MINUTE: '1000000',
      ...overrides,
    }),
  );
  return listen(await createGatewayApp(config));
}

export interface TestUser {
  id: string;
  username: string;
  token: string;
}

export async function newUser(authUrl: string, prefix = 'u'): Promise<TestUser> {
  const r = await registerUser(authUrl, uniqueName(prefix));
  return { id: r.user.id, username: r.user.username, token: r.accessToken };
}

/** Logs in the admin that `startAuth({ ADMIN_USERNAME, ADMIN_PASSWORD })` ensured. */
export async function loginAdmin(authUrl: string, username: string, password: string): Promise<TestUser> {
  const res = await request(authUrl, 'POST', '/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`admin login: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username: res.body.user.username, token: res.body.accessToken };
}

/** Sets roles through the auth service (which tells every gateway at once). */
export async function setRoles(
  authUrl: string,
  admin: TestUser,
  userId: string,
  roles: Role[],
): Promise<void> {
  const res = await request(authUrl, 'PATCH', `/auth/users/${userId}/roles`, {
    token: admin.token,
    body: { roles },
  });
  if (res.status !== 200) throw new Error(`set roles: ${res.status} ${JSON.stringify(res.body)}`);
}

export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** A socket.io client that is connected (or the connect_error it got). No automatic reconnection. */
export function connect(
  url: string,
  token: string | undefined,
  opts: ClientOptions = {},
): Promise<TestSocket> {
  const socket: TestSocket = io(url, {
    transports: ['websocket'],
    auth: token === undefined ? {} : { token },
    reconnection: false,
    forceNew: true,
    timeout: 5000,
    ...opts,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** The connect_error of a handshake that must fail. */
export async function refusal(
  url: string,
  token: string | undefined,
  opts: ClientOptions = {},
): Promise<Error & { data?: { code: string; message: string } }> {
  try {
    const socket = await connect(url, token, opts);
    socket.close();
  } catch (err) {
    return err as Error & { data?: { code: string; message: string } };
  }
  throw new Error('the handshake was accepted');
}

/** Emits a command and resolves with its acknowledgement. */
export function send<E extends keyof ClientToServerEvents>(
  socket: TestSocket,
  event: E,
  payload: Parameters<ClientToServerEvents[E]>[0],
  timeoutMs = 5000,
): Promise<Ack<any>> {
  return (socket.timeout(timeoutMs) as any).emitWithAck(event, payload);
}

/** Emits anything (hostile input) and resolves with the acknowledgement. */
export function sendRaw(socket: TestSocket, event: string, args: unknown[], timeoutMs = 5000): Promise<any> {
  return (socket.timeout(timeoutMs) as any).emitWithAck(event, ...args);
}

interface Received {
  event: string;
  payload: any;
}

/** Everything a socket received, in order, with waits for what should (or should not) arrive. */
export class Inbox {
  readonly received: Received[] = [];
  private waiters: (() => void)[] = [];

  constructor(readonly socket: TestSocket) {
    socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      for (const w of this.waiters.slice()) w();
    });
  }

  all(event: string, where: (p: any) => boolean = () => true): any[] {
    return this.received.filter((r) => r.event === event && where(r.payload)).map((r) => r.payload);
  }

  /** Resolves with the first matching event, received already or later. */
  async next(event: string, where: (p: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const [first] = await this.count(event, 1, where, timeoutMs);
    return first;
  }

  /** Resolves once `n` matching events were received. */
  count(event: string, n: number, where: (p: any) => boolean = () => true, timeoutMs = 5000): Promise<any[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.all(event, where);
        if (found.length < n) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${n} × ${event}; got ${this.all(event, where).length}`));
      }, timeoutMs);
      const waiter = () => void check();
      const done = () => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
      check();
    });
  }

  /** Waits `ms` and returns the matching events that arrived (tests assert it is empty). */
  async during(event: string, ms: number, where: (p: any) => boolean = () => true): Promise<any[]> {
    const before = this.all(event, where).length;
    await sleep(ms);
    return this.all(event, where).slice(before);
  }

  clear(): void {
    this.received.length = 0;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves when `socket` disconnects, with the reason. */
export function disconnected(socket: TestSocket, timeoutMs = 5000): Promise<string> {
  if (socket.disconnected) return Promise.resolve('already disconnected');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket stayed connected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** A REST client bound to a gateway and a user. */
export function api(gatewayUrl: string, user: TestUser) {
  return (method: string, path: string, body?: unknown) =>
    request(gatewayUrl, method, path, { token: user.token, body });
}

let pool: Pool | undefined;

/** A query against the run's database (test set-up the API does not offer, e.g. uploaded files). */
export async function sql<T = any>(text: string, params: unknown[] = []): Promise<T[]> {
  pool ??= new Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  return (await pool.query(text, params)).rows as T[];
}

export async function closeSql(): Promise<void> {
  await pool?.end();
  pool = undefined;
}

/** A `files` row as the media service leaves it after an upload. */
export async function uploadedFile(
  channelId: string,
  uploadedBy: string,
  opts: { status?: 'ready' | 'pending'; name?: string } = {},
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, status)
     VALUES ($1, $2, $3, 1234, 'image/png', 'k/' || gen_random_uuid(), $4) RETURNING id`,
    [channelId, uploadedBy, opts.name ?? 'photo.png', opts.status ?? 'ready'],
  );
  return row.id;
}
