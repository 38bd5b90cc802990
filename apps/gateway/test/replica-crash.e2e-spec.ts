import { startAuth, testEnv, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  connect,
  disconnected,
  Inbox,
  newUser,
  send,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { spawnGateway, type GatewayProcess } from './fixtures/spawn-gateway';

const PRESENCE = { PRESENCE_LEASE_MS: '3000', PRESENCE_SWEEP_MS: '500' };

describeWithRedis('gateway replica crash', () => {
  let auth: Running & { jwksUrl: string };
  let survivor: Running;
  /** Killed with SIGKILL: no shutdown hooks, no goodbyes. */
  let doomed: GatewayProcess;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    auth = await startAuth();
    [survivor, doomed] = await Promise.all([
      startGateway(auth, PRESENCE),
      spawnGateway(testEnv({ AUTH_JWKS_URL: auth.jwksUrl, LOG_LEVEL: 'silent', ...PRESENCE })),
    ]);
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
  }, 60000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    doomed?.child.kill('SIGKILL');
    await survivor?.close();
    await auth?.close();
  });

  it('keeps the users of a live replica online past several leases, renewed a slice at a time', async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newUser(auth.url, 'steady')));
    const watcher = await connect(survivor.url, alice.token);
    const inbox = new Inbox(watcher);
    sockets.push(watcher);
    await send(watcher, 'presence:subscribe', { userIds: users.map((u) => u.id) });
    for (const u of users) sockets.push(await connect(survivor.url, u.token));
    await inbox.count('presence', users.length, (p) => p.online);
    // Three leases of 3 s: a socket whose renewal never came would have been swept (and pushed
    // offline) within a lease and a sweep.
    expect(await inbox.during('presence', 9500, (p) => !p.online)).toEqual([]);
    const ack = await send(watcher, 'presence:subscribe', { userIds: users.map((u) => u.id) });
    expect(new Set(ack.online)).toEqual(new Set(users.map((u) => u.id)));
  }, 40000);

  it('reports the users of a crashed replica offline once their leases lapse', async () => {
    const id = (
      await api(survivor.url, alice)('POST', '/channels', { name: uniqueName('crash'), kind: 'private' })
    ).body.id;
    await api(survivor.url, alice)('POST', `/channels/${id}/members`, { userId: bob.id });
    const watcher = await connect(survivor.url, alice.token);
    const inbox = new Inbox(watcher);
    await send(watcher, 'presence:subscribe', { userIds: [bob.id] });
    const victim = await connect(doomed.url, bob.token);
    sockets.push(watcher, victim);
    expect(await inbox.next('presence')).toEqual({ userId: bob.id, username: bob.username, online: true });
    // The replicas really are one cluster: a message through the doomed one reaches the survivor.
    await send(victim, 'message:send', { channelId: id, body: 'last words' });
    expect((await inbox.next('message:new')).body).toBe('last words');

    const gone = disconnected(victim, 5000);
    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    expect(await gone).toBe('transport close');
    const offline = await inbox.next('presence', (p) => !p.online, 15000);
    expect(offline).toEqual({ userId: bob.id, username: bob.username, online: false });
    // Lease (3 s) plus one sweep (0.5 s), with slack for a busy machine: not 60 s, not "never".
    expect(Date.now() - killedAt).toBeLessThan(10000);
    const members = await api(survivor.url, alice)('GET', `/channels/${id}/members`);
    expect(members.body.find((m: { userId: string }) => m.userId === bob.id).online).toBe(false);
  }, 30000);
});
