import { randomUUID } from 'node:crypto';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import {
  api,
  connect,
  Inbox,
  loginAdmin,
  newUser,
  send,
  sendRaw,
  setRoles,
  sleep,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

/**
 * Channels, DMs, members and read markers over REST, and the real-time events they cause. Runs the
 * gateway in single-process mode (no REDIS_URL): in-memory fan-out, presence and rate limits.
 */
describe('gateway channels', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  const OFFLINE_GRACE_MS = 1500;
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  let moderator: TestUser;
  let admin: TestUser;
  const sockets: TestSocket[] = [];

  const as = (user: TestUser) => api(gw.url, user);
  const open = async (user: TestUser) => {
    const socket = await connect(gw.url, user.token);
    sockets.push(socket);
    return { socket, inbox: new Inbox(socket) };
  };
  const channel = async (kind: 'public' | 'private', by = owner) => {
    const res = await as(by)('POST', '/channels', { name: uniqueName(kind), kind });
    expect(res.status).toBe(201);
    return res.body as { id: string; name: string };
  };
  const add = (by: TestUser, channelId: string, userId: string) =>
    as(by)('POST', `/channels/${channelId}/members`, { userId });

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ REDIS_URL: '', ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    gw = await startGateway(auth, { REDIS_URL: '', PRESENCE_OFFLINE_GRACE_MS: String(OFFLINE_GRACE_MS) });
    [owner, member, outsider, moderator] = await Promise.all([
      newUser(auth.url, 'own'),
      newUser(auth.url, 'mem'),
      newUser(auth.url, 'out'),
      newUser(auth.url, 'mod'),
    ]);
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    await setRoles(auth.url, admin, moderator.id, ['moderator']);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await gw?.close();
    await auth?.close();
  });

  describe('create and browse', () => {
    it('creates a channel owned by the caller and pushes channel:joined to all their sockets', async () => {
      const tabs = await Promise.all([open(owner), open(owner)]);
      const name = uniqueName('general');
      const res = await as(owner)('POST', '/channels', { name, kind: 'public', topic: 'All hands' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name,
        kind: 'public',
        topic: 'All hands',
        createdBy: owner.id,
        createdAt: expect.any(String),
        memberCount: 1,
        lastSeq: 0,
        unreadCount: 0,
        mentionCount: 0,
        notify: 'mentions',
        muted: false,
        archivedAt: null,
      });
      for (const tab of tabs) expect((await tab.inbox.next('channel:joined')).id).toBe(res.body.id);
      const members = await as(owner)('GET', `/channels/${res.body.id}/members`);
      expect(members.body).toEqual([
        {
          userId: owner.id,
          username: owner.username,
          role: 'owner',
          online: true,
          joinedAt: expect.any(String),
          bot: false,
        },
      ]);
    });

    it('rejects bad input with VALIDATION and an anonymous caller with UNAUTHORIZED', async () => {
      for (const body of [
        { name: '', kind: 'public' },
        { name: '   ', kind: 'public' },
        { name: 'x'.repeat(81), kind: 'public' },
        { name: 'ok', kind: 'dm' },
        { name: 'ok' },
        { name: 42, kind: 'public' },
        { name: 'ok', kind: 'public', topic: 'x'.repeat(251) },
        { name: 'ok', kind: 'public', extra: true },
      ]) {
        const res = await as(owner)('POST', '/channels', body);
        expect({ body, status: res.status, code: res.body.code }).toEqual({
          body,
          status: 400,
          code: 'VALIDATION',
        });
      }
      const anonymous = await request(gw.url, 'GET', '/channels');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body).toEqual({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        message: expect.any(String),
        requestId: expect.any(String),
      });
    });

    it('keeps public names unique (case-insensitively) but lets private names repeat', async () => {
      const name = uniqueName('Dup');
      expect((await as(owner)('POST', '/channels', { name, kind: 'public' })).status).toBe(201);
      const clash = await as(member)('POST', '/channels', { name: name.toUpperCase(), kind: 'public' });
      expect([clash.status, clash.body.code]).toEqual([409, 'CONFLICT']);
      expect((await as(member)('POST', '/channels', { name, kind: 'private' })).status).toBe(201);
      expect((await as(member)('POST', '/channels', { name, kind: 'private' })).status).toBe(201);
    });

    it('browses public channels by name, never private ones, and treats wildcards literally', async () => {
      const tag = uniqueName('browse');
      await as(owner)('POST', '/channels', { name: `${tag}-alpha`, kind: 'public' });
      await as(owner)('POST', '/channels', { name: `${tag}-beta`, kind: 'public' });
      await as(owner)('POST', '/channels', { name: `${tag}-secret`, kind: 'private' });
      const found = await as(outsider)('GET', `/channels/public?q=${tag.toUpperCase()}`);
      expect(found.status).toBe(200);
      expect(found.body.map((c: { name: string }) => c.name)).toEqual([`${tag}-alpha`, `${tag}-beta`]);
      expect(found.body[0]).toMatchObject({ kind: 'public', memberCount: 1, unreadCount: 0 });
      const wildcard = await as(outsider)('GET', `/channels/public?q=${encodeURIComponent(`${tag}%`)}`);
      expect(wildcard.body).toEqual([]);
    });

    it('lists exactly the caller’s channels and DMs, a DM named after the other member', async () => {
      const mine = await channel('private');
      const theirs = await channel('public', outsider);
      const dm = await as(owner)('POST', '/dms', { userId: member.id });
      const list = await as(owner)('GET', '/channels');
      const ids = list.body.map((c: { id: string }) => c.id);
      expect(ids).toEqual(expect.arrayContaining([mine.id, dm.body.id]));
      expect(ids).not.toContain(theirs.id);
      expect(list.body.find((c: { id: string }) => c.id === dm.body.id)).toMatchObject({
        kind: 'dm',
        name: member.username,
        memberCount: 2,
      });
      const dmForMember = (await as(member)('GET', '/channels')).body.find(
        (c: { id: string }) => c.id === dm.body.id,
      );
      expect(dmForMember.name).toBe(owner.username);
    });
  });

  describe('visibility', () => {
    it('shows a public channel to anyone, a private one to members and staff, a DM to its members only', async () => {
      const pub = await channel('public');
      const priv = await channel('private');
      await add(owner, priv.id, member.id);
      const dm = (await as(owner)('POST', '/dms', { userId: member.id })).body;
      const cases: [string, TestUser, number][] = [
        [pub.id, outsider, 200],
        [priv.id, owner, 200],
        [priv.id, member, 200],
        [priv.id, outsider, 404],
        [priv.id, moderator, 200],
        [priv.id, admin, 200],
        [dm.id, member, 200],
        [dm.id, outsider, 404],
        [dm.id, moderator, 404],
        [dm.id, admin, 404],
        ['00000000-0000-4000-8000-000000000000', owner, 404],
        ['not-a-uuid', owner, 404],
      ];
      for (const [id, user, status] of cases) {
        const res = await as(user)('GET', `/channels/${id}`);
        expect({ id, user: user.username, status: res.status }).toEqual({ id, user: user.username, status });
      }
      // A 404 says nothing more for a private channel than for one that does not exist.
      const hidden = await as(outsider)('GET', `/channels/${priv.id}`);
      const missing = await as(outsider)('GET', '/channels/00000000-0000-4000-8000-000000000000');
      expect(hidden.body.message).toBe(missing.body.message);
    });
  });

  describe('rename and topic', () => {
    it('lets the owner, moderators and admins update; members get FORBIDDEN, outsiders NOT_FOUND', async () => {
      const priv = await channel('private');
      await add(owner, priv.id, member.id);
      const cases: [TestUser, number][] = [
        [owner, 200],
        [member, 403],
        [outsider, 404],
        [moderator, 200],
        [admin, 200],
      ];
      for (const [user, status] of cases) {
        const res = await as(user)('PATCH', `/channels/${priv.id}`, { topic: `set by ${user.username}` });
        expect({ user: user.username, status: res.status }).toEqual({ user: user.username, status });
      }
      expect((await as(owner)('GET', `/channels/${priv.id}`)).body.topic).toBe(`set by ${admin.username}`);

      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      expect((await as(member)('PATCH', `/channels/${pub.id}`, { name: 'nope' })).status).toBe(403);
      expect((await as(outsider)('PATCH', `/channels/${pub.id}`, { name: 'nope' })).status).toBe(403);
      const dm = (await as(owner)('POST', '/dms', { userId: outsider.id })).body;
      expect((await as(owner)('PATCH', `/channels/${dm.id}`, { topic: 'x' })).status).toBe(403);
      expect((await as(member)('PATCH', `/channels/${dm.id}`, { topic: 'x' })).status).toBe(404);
    });

    it('pushes channel:updated to every member with their own unread count, and refuses a taken name', async () => {
      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      await as(owner)('POST', `/channels/${pub.id}/messages`, { body: 'one' });
      await as(owner)('POST', `/channels/${pub.id}/messages`, { body: 'two' });
      const [o, m] = await Promise.all([open(owner), open(member)]);
      const newName = uniqueName('renamed');
      const res = await as(owner)('PATCH', `/channels/${pub.id}`, { name: newName, topic: 'new topic' });
      expect(res.body).toMatchObject({ name: newName, topic: 'new topic', lastSeq: 2, unreadCount: 0 });
      expect(await m.inbox.next('channel:updated')).toMatchObject({
        id: pub.id,
        name: newName,
        unreadCount: 2,
      });
      expect(await o.inbox.next('channel:updated')).toMatchObject({
        id: pub.id,
        name: newName,
        unreadCount: 0,
      });

      const other = await channel('public');
      const clash = await as(owner)('PATCH', `/channels/${other.id}`, { name: newName.toUpperCase() });
      expect([clash.status, clash.body.code]).toEqual([409, 'CONFLICT']);
    });
  });

  describe('join and leave', () => {
    it('joins a public channel idempotently; the new member’s sockets get the room at once', async () => {
      const pub = await channel('public');
      const [o, m1, m2] = await Promise.all([open(owner), open(member), open(member)]);
      const first = await as(member)('POST', `/channels/${pub.id}/join`);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ id: pub.id, memberCount: 2 });
      const again = await as(member)('POST', `/channels/${pub.id}/join`);
      expect([again.status, again.body.memberCount]).toEqual([200, 2]);
      expect(await o.inbox.next('member:joined')).toEqual({
        channelId: pub.id,
        userId: member.id,
        username: member.username,
      });
      for (const tab of [m1, m2]) expect((await tab.inbox.next('channel:joined')).id).toBe(pub.id);
      expect(o.inbox.all('member:joined')).toHaveLength(1);

      const ack = await send(o.socket, 'message:send', { channelId: pub.id, body: 'welcome' });
      expect(ack.ok).toBe(true);
      for (const tab of [m1, m2]) expect((await tab.inbox.next('message:new')).body).toBe('welcome');
    });

    it('answers NOT_FOUND for joining a private channel or DM one is not in', async () => {
      const priv = await channel('private');
      const dm = (await as(owner)('POST', '/dms', { userId: member.id })).body;
      for (const [id, user] of [
        [priv.id, outsider],
        [priv.id, moderator],
        [dm.id, outsider],
      ] as const) {
        const res = await as(user)('POST', `/channels/${id}/join`);
        expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      }
      expect((await as(owner)('POST', `/channels/${priv.id}/join`)).status).toBe(200);
      expect((await as(member)('POST', `/channels/${dm.id}/join`)).status).toBe(200);
    });

    it('leaves: the leaver’s sockets leave the room at once and the others hear member:left', async () => {
      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      const [o, m] = await Promise.all([open(owner), open(member)]);
      expect((await as(member)('POST', `/channels/${pub.id}/leave`)).status).toBe(204);
      expect(await m.inbox.next('channel:left')).toEqual({ channelId: pub.id });
      expect(await o.inbox.next('member:left')).toEqual({
        channelId: pub.id,
        userId: member.id,
        username: member.username,
      });
      await send(o.socket, 'message:send', { channelId: pub.id, body: 'after you left' });
      await o.inbox.next('message:new');
      expect(await m.inbox.during('message:new', 200)).toEqual([]);
      expect((await as(member)('POST', `/channels/${pub.id}/leave`)).status).toBe(204);
      expect((await as(member)('GET', `/channels/${pub.id}/messages`)).status).toBe(403);
    });

    it('refuses to leave a DM, and hides a private channel from an outsider’s leave', async () => {
      const dm = (await as(owner)('POST', '/dms', { userId: member.id })).body;
      const res = await as(member)('POST', `/channels/${dm.id}/leave`);
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
      const priv = await channel('private');
      expect((await as(outsider)('POST', `/channels/${priv.id}/leave`)).status).toBe(404);
    });
  });

  describe('members', () => {
    it('lists members with their online state to members only', async () => {
      // Someone who never connected (others here closed sockets moments ago: still in their grace).
      const offline = await newUser(auth.url, 'off');
      const priv = await channel('private', offline);
      await add(offline, priv.id, member.id);
      await open(member);
      const list = await as(offline)('GET', `/channels/${priv.id}/members`);
      expect(list.status).toBe(200);
      expect(list.body).toEqual([
        {
          userId: offline.id,
          username: offline.username,
          role: 'owner',
          online: false,
          joinedAt: expect.any(String),
          bot: false,
        },
        {
          userId: member.id,
          username: member.username,
          role: 'member',
          online: true,
          joinedAt: expect.any(String),
          bot: false,
        },
      ]);
      expect((await as(outsider)('GET', `/channels/${priv.id}/members`)).status).toBe(404);
      expect((await as(moderator)('GET', `/channels/${priv.id}/members`)).status).toBe(403);
      const pub = await channel('public');
      expect((await as(outsider)('GET', `/channels/${pub.id}/members`)).status).toBe(403);
    });

    it('adds members of a private channel: owner, moderator, admin yes; member FORBIDDEN; outsider NOT_FOUND', async () => {
      const priv = await channel('private');
      await add(owner, priv.id, member.id);
      const targets = await Promise.all([1, 2, 3].map(() => newUser(auth.url, 'tgt')));
      const cases: [TestUser, TestUser, number][] = [
        [owner, targets[0], 200],
        [member, targets[1], 403],
        [outsider, targets[1], 404],
        [moderator, targets[1], 200],
        [admin, targets[2], 200],
      ];
      for (const [by, target, status] of cases) {
        const res = await add(by, priv.id, target.id);
        expect({ by: by.username, status: res.status }).toEqual({ by: by.username, status });
      }
      const again = await add(owner, priv.id, targets[0].id);
      expect(again.status).toBe(200);
      expect(again.body).toEqual({
        userId: targets[0].id,
        username: targets[0].username,
        role: 'member',
        online: false,
        joinedAt: expect.any(String),
        bot: false,
      });
      expect((await as(owner)('GET', `/channels/${priv.id}`)).body.memberCount).toBe(5);
      const unknown = await add(owner, priv.id, '00000000-0000-4000-8000-000000000000');
      expect([unknown.status, unknown.body.code]).toEqual([404, 'NOT_FOUND']);
      expect((await add(owner, priv.id, 'nope')).status).toBe(400);
    });

    it('lets any member add to a public channel but not an outsider, and never adds to a DM', async () => {
      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      const target = await newUser(auth.url, 'tgt');
      expect((await add(outsider, pub.id, target.id)).status).toBe(403);
      expect((await add(member, pub.id, target.id)).status).toBe(200);
      const dm = (await as(owner)('POST', '/dms', { userId: member.id })).body;
      expect((await add(owner, dm.id, target.id)).status).toBe(403);
      expect((await add(admin, dm.id, target.id)).status).toBe(404);
    });

    it('moves an added user’s sockets into the room at once and tells them', async () => {
      const priv = await channel('private');
      const [o, m] = await Promise.all([open(owner), open(member)]);
      expect((await add(owner, priv.id, member.id)).status).toBe(200);
      expect(await m.inbox.next('channel:joined')).toMatchObject({
        id: priv.id,
        kind: 'private',
        memberCount: 2,
      });
      expect((await o.inbox.next('member:joined')).userId).toBe(member.id);
      await send(o.socket, 'message:send', { channelId: priv.id, body: 'you are in' });
      expect((await m.inbox.next('message:new')).body).toBe('you are in');
    });

    it('removes members: owner, moderator, admin yes; a member may not kick but may remove themselves', async () => {
      const priv = await channel('private');
      const victims = await Promise.all([1, 2, 3].map(() => newUser(auth.url, 'vic')));
      for (const u of [member, ...victims]) await add(owner, priv.id, u.id);
      const cases: [TestUser, TestUser, number][] = [
        [member, victims[0], 403],
        [outsider, victims[0], 404],
        [owner, victims[0], 204],
        [moderator, victims[1], 204],
        [admin, victims[2], 204],
        [member, member, 204],
      ];
      for (const [by, target, status] of cases) {
        const res = await as(by)('DELETE', `/channels/${priv.id}/members/${target.id}`);
        expect({ by: by.username, status: res.status }).toEqual({ by: by.username, status });
      }
      const left = (await as(owner)('GET', `/channels/${priv.id}/members`)).body.map(
        (m: { userId: string }) => m.userId,
      );
      expect(left).toEqual([owner.id]);
    });

    it('takes a removed user’s sockets out of the room at once', async () => {
      const priv = await channel('private');
      await add(owner, priv.id, member.id);
      const [o, m] = await Promise.all([open(owner), open(member)]);
      expect((await as(owner)('DELETE', `/channels/${priv.id}/members/${member.id}`)).status).toBe(204);
      expect(await m.inbox.next('channel:left')).toEqual({ channelId: priv.id });
      expect((await o.inbox.next('member:left')).userId).toBe(member.id);
      await send(o.socket, 'message:send', { channelId: priv.id, body: 'private again' });
      await o.inbox.next('message:new');
      expect(await m.inbox.during('message:new', 200)).toEqual([]);
      const sync = await send(m.socket, 'channel:sync', { channelId: priv.id, afterSeq: 0 });
      expect(sync).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: expect.any(String) } });
    });
  });

  describe('direct messages', () => {
    it('returns the same DM every time, even to concurrent calls from both sides', async () => {
      const [a, b] = await Promise.all([newUser(auth.url, 'dma'), newUser(auth.url, 'dmb')]);
      const [sa, sb] = await Promise.all([open(a), open(b)]);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          i % 2 ? as(a)('POST', '/dms', { userId: b.id }) : as(b)('POST', '/dms', { userId: a.id }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const dmId = results[0].body.id;
      expect(results.find((r, i) => i % 2 === 1)?.body).toMatchObject({
        kind: 'dm',
        name: b.username,
        memberCount: 2,
      });
      expect(results.find((r, i) => i % 2 === 0)?.body.name).toBe(a.username);
      expect((await sa.inbox.next('channel:joined')).id).toBe(dmId);
      expect((await sb.inbox.next('channel:joined')).name).toBe(a.username);
      expect(await sa.inbox.during('channel:joined', 100)).toEqual([]);
      expect(sa.inbox.all('channel:joined')).toHaveLength(1);
      const ack = await send(sa.socket, 'message:send', { channelId: dmId, body: 'psst' });
      expect(ack.ok).toBe(true);
      expect((await sb.inbox.next('message:new')).body).toBe('psst');
    });

    it('refuses a DM with oneself or a user that does not exist', async () => {
      expect((await as(owner)('POST', '/dms', { userId: owner.id })).status).toBe(400);
      const res = await as(owner)('POST', '/dms', { userId: '00000000-0000-4000-8000-000000000000' });
      expect([res.status, res.body.code]).toEqual([404, 'NOT_FOUND']);
      expect((await as(owner)('POST', '/dms', {})).status).toBe(400);
    });
  });

  describe('read markers and unread counts', () => {
    it('counts other members’ undeleted messages after the read marker', async () => {
      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      const post = (user: TestUser, body: string) =>
        as(user)('POST', `/channels/${pub.id}/messages`, { body });
      const unread = async (user: TestUser) =>
        (await as(user)('GET', `/channels/${pub.id}`)).body.unreadCount;
      await post(owner, 'a');
      await post(owner, 'b');
      const c = await post(owner, 'c');
      await post(member, 'mine');
      expect(await unread(member)).toBe(3);
      expect(await unread(owner)).toBe(1);
      expect((await as(outsider)('GET', `/channels/${pub.id}`)).body).toMatchObject({
        lastSeq: 4,
        unreadCount: 0,
      });
      await as(owner)('DELETE', `/messages/${c.body.id}`);
      expect(await unread(member)).toBe(2);

      const tab = await open(member);
      expect((await as(member)('POST', `/channels/${pub.id}/read`, { seq: 1 })).status).toBe(204);
      expect(await unread(member)).toBe(1);
      expect(await tab.inbox.next('channel:updated')).toMatchObject({ id: pub.id, unreadCount: 1 });
      // Never backwards (a late acknowledgement from another tab), and capped at the last message.
      await as(member)('POST', `/channels/${pub.id}/read`, { seq: 0 });
      expect(await unread(member)).toBe(1);
      const ack = await send(tab.socket, 'channel:read', { channelId: pub.id, seq: 1000 });
      expect(ack).toEqual({ ok: true });
      expect(await unread(member)).toBe(0);
      await post(owner, 'd');
      expect(await unread(member)).toBe(1);

      expect((await as(member)('POST', `/channels/${pub.id}/read`, { seq: -1 })).status).toBe(400);
      expect((await as(outsider)('POST', `/channels/${pub.id}/read`, { seq: 1 })).status).toBe(403);
    });

    it('pushes a topic change with each member’s own unread and mention counts', async () => {
      const pub = await channel('public');
      await as(member)('POST', `/channels/${pub.id}/join`);
      await as(outsider)('POST', `/channels/${pub.id}/join`);
      await as(owner)('POST', `/channels/${pub.id}/messages`, { body: `hi @${member.username}` });
      await as(owner)('POST', `/channels/${pub.id}/messages`, { body: 'no mention' });
      const [m, o] = [await open(member), await open(outsider)];
      expect((await as(owner)('PATCH', `/channels/${pub.id}`, { topic: 'new topic' })).status).toBe(200);
      expect(await m.inbox.next('channel:updated')).toMatchObject({
        topic: 'new topic',
        unreadCount: 2,
        mentionCount: 1,
      });
      expect(await o.inbox.next('channel:updated')).toMatchObject({
        topic: 'new topic',
        unreadCount: 2,
        mentionCount: 0,
      });
    });

    it('starts a new member with nothing unread', async () => {
      const pub = await channel('public');
      for (const body of ['1', '2', '3']) await as(owner)('POST', `/channels/${pub.id}/messages`, { body });
      const joined = await as(member)('POST', `/channels/${pub.id}/join`);
      expect(joined.body).toMatchObject({ lastSeq: 3, unreadCount: 0 });
    });
  });

  describe('users and presence', () => {
    it('finds users by username prefix, case-insensitively, at most 20', async () => {
      const tag = uniqueName('Find').toLowerCase();
      const made = await Promise.all(Array.from({ length: 22 }, (_, i) => newUser(auth.url, `${tag}${i}`)));
      const res = await as(owner)('GET', `/users?q=${tag.toUpperCase()}`);
      expect(res.status).toBe(200);
      expect(res.body).toHaveLength(20);
      expect(res.body[0]).toEqual({
        id: expect.any(String),
        username: expect.any(String),
        roles: ['member'],
        createdAt: expect.any(String),
        bot: false,
      });
      expect(res.body.every((u: { username: string }) => u.username.startsWith(tag))).toBe(true);
      const one = await as(owner)('GET', `/users?q=${made[3].username}`);
      expect(one.body.map((u: { id: string }) => u.id)).toEqual([made[3].id]);
      expect((await as(owner)('GET', `/users?q=${encodeURIComponent('%')}`)).body).toEqual([]);
      expect((await request(gw.url, 'GET', '/users?q=a')).status).toBe(401);
    });

    it('announces the first socket online and the last one gone only to sockets subscribed to that user', async () => {
      const [a, b, stranger, c] = await Promise.all([
        newUser(auth.url, 'pa'),
        newUser(auth.url, 'pb'),
        newUser(auth.url, 'ps'),
        newUser(auth.url, 'pc'),
      ]);
      const shared = await channel('private', a);
      await add(a, shared.id, b.id);
      await add(a, shared.id, c.id);
      const watcher = await open(a);
      // Shares the channel with b but follows nobody: hears nothing (the contract's "never").
      const bystander = await open(c);
      // Shares no channel with b, but shows b (a DM search result, say): hears b.
      const strangerTab = await open(stranger);
      expect(await send(watcher.socket, 'presence:subscribe', { userIds: [b.id] })).toEqual({
        ok: true,
        online: [],
      });
      expect(await send(strangerTab.socket, 'presence:subscribe', { userIds: [b.id.toUpperCase()] })).toEqual(
        {
          ok: true,
          online: [],
        },
      );
      const first = await open(b);
      const online = { userId: b.id, username: b.username, online: true };
      expect(await watcher.inbox.next('presence')).toEqual(online);
      expect(await strangerTab.inbox.next('presence')).toEqual(online);
      const second = await open(b);
      expect(first.inbox.all('presence')).toEqual([]);
      expect(bystander.inbox.all('presence')).toEqual([]);
      expect(await send(bystander.socket, 'presence:subscribe', { userIds: [b.id, a.id] })).toEqual({
        ok: true,
        online: [b.id, a.id],
      });
      first.socket.close();
      expect(await watcher.inbox.during('presence', 300)).toEqual([]);
      // Clearing the set stops the pushes for this socket only.
      expect(await send(strangerTab.socket, 'presence:subscribe', { userIds: [] })).toEqual({
        ok: true,
        online: [],
      });
      second.socket.close();
      const offline = { userId: b.id, username: b.username, online: false };
      expect(await watcher.inbox.next('presence', (p) => !p.online)).toEqual(offline);
      expect(await bystander.inbox.next('presence', (p) => !p.online)).toEqual(offline);
      expect(strangerTab.inbox.all('presence')).toEqual([online]);
      expect(
        (await as(a)('GET', `/channels/${shared.id}/members`)).body.find(
          (m: { userId: string }) => m.userId === b.id,
        ).online,
      ).toBe(false);
    });

    it('replaces the set on each subscribe and refuses malformed subscriptions', async () => {
      const [a, b, c] = await Promise.all([
        newUser(auth.url, 'ra'),
        newUser(auth.url, 'rb'),
        newUser(auth.url, 'rc'),
      ]);
      const watcher = await open(a);
      expect(await send(watcher.socket, 'presence:subscribe', { userIds: [b.id, b.id] })).toEqual({
        ok: true,
        online: [],
      });
      expect(await send(watcher.socket, 'presence:subscribe', { userIds: [c.id] })).toEqual({
        ok: true,
        online: [],
      });
      const bTab = await open(b);
      const cTab = await open(c);
      expect(await watcher.inbox.next('presence')).toMatchObject({ userId: c.id, online: true });
      expect(await watcher.inbox.during('presence', 300)).toEqual([]);
      expect(watcher.inbox.all('presence').map((p) => p.userId)).toEqual([c.id]);

      const invalid = { ok: false, error: { code: 'VALIDATION', message: expect.any(String) } };
      const tooMany = Array.from({ length: 1001 }, () => randomUUID());
      for (const payload of [
        { userIds: tooMany },
        { userIds: ['not-a-uuid'] },
        { userIds: 'x' },
        { userIds: [42] },
        {},
        null,
      ]) {
        expect(await sendRaw(watcher.socket, 'presence:subscribe', [payload])).toEqual(invalid);
      }
      // A refused subscribe leaves the previous set as it was.
      cTab.socket.close();
      expect(await watcher.inbox.next('presence', (p) => !p.online)).toMatchObject({ userId: c.id });
      expect(
        await send(watcher.socket, 'presence:subscribe', {
          userIds: Array.from({ length: 1000 }, () => randomUUID()),
        }),
      ).toEqual({ ok: true, online: [] });
      bTab.socket.close();
    });

    it('keeps a user whose connection blips online, and reports them offline once they stay away', async () => {
      const [a, b] = await Promise.all([newUser(auth.url, 'ba'), newUser(auth.url, 'bb')]);
      const shared = await channel('private', a);
      await add(a, shared.id, b.id);
      const watcher = await open(a);
      await send(watcher.socket, 'presence:subscribe', { userIds: [b.id] });
      const first = await open(b);
      expect(await watcher.inbox.next('presence')).toMatchObject({ userId: b.id, online: true });
      first.socket.close();
      await sleep(300);
      const back = await open(b);
      expect(await watcher.inbox.during('presence', OFFLINE_GRACE_MS + 1000)).toEqual([]);
      const closedAt = Date.now();
      back.socket.close();
      expect(await watcher.inbox.next('presence', (p) => !p.online)).toMatchObject({ userId: b.id });
      expect(Date.now() - closedAt).toBeGreaterThanOrEqual(OFFLINE_GRACE_MS);
      expect(watcher.inbox.all('presence')).toHaveLength(2);
    });
  });
});
