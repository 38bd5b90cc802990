import { startAuth, uniqueName, type Running } from './apps';
import {
  api,
  closeSql,
  connect,
  Inbox,
  loginAdmin,
  newUser,
  startGateway,
  type TestSocket,
  type TestUser,
} from './gateway';

const ADMIN_PASSWORD = 'admin-password-123';

/** A connected socket and everything it receives. */
export interface Client {
  socket: TestSocket;
  inbox: Inbox;
}

/**
 * An auth service and two gateway replicas sharing the run's Redis and Postgres, with fresh users
 * named after `users` (the first owns the channels `channel` makes). Registers the suite's hooks:
 * the beforeAll starts everything, the afterEach closes the sockets the test opened, the afterAll
 * stops everything. Call it at the top of a `describe`.
 *
 * The services and users returned are placeholders the beforeAll fills in (they keep their
 * identity), so a suite can destructure them at once and use them in its tests and hooks.
 *
 * `admin`: an admin account exists from the start (logged in as `admin`), so none of the users
 * becomes the first, admin, account.
 */
export function twoReplicas<Name extends string>(opts: { users: readonly Name[]; admin?: boolean }) {
  const auth = {} as Running & { jwksUrl: string };
  const a = {} as Running;
  const b = {} as Running;
  const admin = {} as TestUser;
  const users = {} as Record<Name, TestUser>;
  for (const name of opts.users) users[name] = {} as TestUser;
  const owner = users[opts.users[0]];
  const gateways: Running[] = [];
  let authStarted = false;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    Object.assign(auth, await startAuth(opts.admin ? { ADMIN_USERNAME: adminName, ADMIN_PASSWORD } : {}));
    authStarted = true;
    if (opts.admin) Object.assign(admin, await loginAdmin(auth.url, adminName, ADMIN_PASSWORD));
    gateways.push(...(await Promise.all([startGateway(auth), startGateway(auth)])));
    Object.assign(a, gateways[0]);
    Object.assign(b, gateways[1]);
    const created = await Promise.all(opts.users.map((name) => newUser(auth.url, name)));
    opts.users.forEach((name, i) => Object.assign(users[name], created[i]));
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    if (authStarted) await auth.close();
    await closeSql();
  });

  /** A socket of `user` on `replica`, closed after the test. */
  const socket = async (replica: Running, user: TestUser): Promise<TestSocket> => {
    const s = await connect(replica.url, user.token);
    sockets.push(s);
    return s;
  };

  return {
    auth,
    a,
    b,
    admin,
    users,
    socket,
    /** A socket of `user` on `replica` with an inbox, closed after the test. */
    open: async (replica: Running, user: TestUser): Promise<Client> => {
      const s = await socket(replica, user);
      return { socket: s, inbox: new Inbox(s) };
    },
    /** A channel of the first user's (made through replica A) with `members` added. */
    channel: async (kind: 'public' | 'private', ...members: TestUser[]): Promise<string> => {
      const res = await api(a.url, owner)('POST', '/channels', { name: uniqueName(kind), kind });
      for (const m of members)
        await api(a.url, owner)('POST', `/channels/${res.body.id}/members`, { userId: m.id });
      return res.body.id as string;
    },
    /** A message `user` posts through `replica`'s REST API (which must accept it). */
    post: async (replica: Running, user: TestUser, channelId: string, body: string, extra = {}) => {
      const res = await api(replica.url, user)('POST', `/channels/${channelId}/messages`, { body, ...extra });
      expect(res.status).toBe(201);
      return res.body;
    },
  };
}
