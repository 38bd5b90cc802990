import { randomUUID } from 'node:crypto';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import {
  api,
  closeSql,
  connect,
  Inbox,
  loginAdmin,
  newUser,
  send,
  setRoles,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

interface AuditRow {
  actor_id: string;
  actor_name: string;
  target_type: string;
  target_id: string;
  target_name: string | null;
  details: Record<string, unknown>;
  request_id: string;
  client_address: string;
}

/**
 * The gateway's administration routes (issue #19) against real Postgres and socket.io clients: the
 * staff channel directory, handing a channel to another owner, the admins' webhooks overview, and
 * the audit records of webhooks, moderators' deletions and member removals (REST and socket alike).
 */
describe('gateway administration', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let admin: TestUser;
  let mod: TestUser;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  const sockets: TestSocket[] = [];

  const as = (user: TestUser) => api(gw.url, user);
  /** A request with an X-Request-Id (and any other headers) of our choosing. */
  const call = (
    user: TestUser | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => request(gw.url, method, path, { token: user?.token, body, headers });
  const channel = async (kind: 'public' | 'private', name = uniqueName(kind), ...members: TestUser[]) => {
    const res = await as(owner)('POST', '/channels', { name, kind });
    expect(res.status).toBe(201);
    for (const m of members)
      expect((await as(owner)('POST', `/channels/${res.body.id}/members`, { userId: m.id })).status).toBe(
        200,
      );
    return res.body.id as string;
  };
  const auditOf = (action: string, targetId: string) =>
    sql<AuditRow>(
      `SELECT actor_id, actor_name, target_type, target_id, target_name, details, request_id, client_address
         FROM audit_events WHERE action = $1 AND target_id = $2 ORDER BY position`,
      [action, targetId],
    );

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ REDIS_URL: '', ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    gw = await startGateway(auth, { REDIS_URL: '' });
    [mod, owner, member, outsider] = await Promise.all(
      ['mod', 'own', 'mem', 'out'].map((p) => newUser(auth.url, p)),
    );
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    await setRoles(auth.url, admin, mod.id, ['moderator']);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await closeSql();
    await gw?.close();
    await auth?.close();
  });

  describe('the routes are staff-only', () => {
    const routes: [string, string, (id: string) => string][] = [
      ['GET', '/channels/directory', () => '/channels/directory'],
      ['GET', '/hooks', () => '/hooks'],
      ['PUT', '/channels/:id/owner', (id) => `/channels/${id}/owner`],
      ['DELETE', '/channels/:id/archive', (id) => `/channels/${id}/archive`],
    ];
    it.each(routes)(
      '%s %s: 401 without a token, 403 for a plain member (even the owner)',
      async (method, _route, path) => {
        const id = await channel('public', uniqueName('acl'), member);
        const body = method === 'PUT' ? { userId: member.id } : undefined;
        expect(await call(null, method, path(id), body)).toMatchObject({
          status: 401,
          body: { code: 'UNAUTHORIZED' },
        });
        for (const who of [member, owner])
          expect(await call(who, method, path(id), body)).toMatchObject({
            status: 403,
            body: { code: 'FORBIDDEN' },
          });
      },
    );

    it('keeps the webhooks overview from moderators', async () => {
      expect(await call(mod, 'GET', '/hooks')).toMatchObject({ status: 403 });
      expect(await call(admin, 'GET', '/hooks')).toMatchObject({ status: 200 });
    });
  });

  describe('GET /channels/directory', () => {
    const prefix = `dir${randomUUID().slice(0, 6)}`;
    /** Created in an order other than the one the directory answers. */
    const names = [
      `${prefix}-Delta`,
      `${prefix}-alpha`,
      `${prefix}-charlie`,
      `${prefix}-Bravo`,
      `${prefix}-echo`,
    ];
    const ids = new Map<string, string>();

    beforeAll(async () => {
      for (const [i, name] of names.entries())
        ids.set(name, await channel(i % 2 ? 'private' : 'public', name, ...(i === 0 ? [member] : [])));
      // A DM never shows, whatever its name.
      await as(owner)('POST', '/dms', { userId: member.id });
      expect((await as(admin)('POST', `/channels/${ids.get(`${prefix}-charlie`)}/archive`)).status).toBe(200);
    });

    const byName = [...names].sort((x, y) => x.toLowerCase().localeCompare(y.toLowerCase()));

    it('lists public and private channels by name with their owner and counts, for admins and moderators', async () => {
      for (const who of [admin, mod]) {
        const res = await as(who)('GET', `/channels/directory?q=${prefix.toUpperCase()}`);
        expect(res.status).toBe(200);
        expect(res.body.hasMore).toBe(false);
        expect(res.body.channels.map((c: any) => c.name)).toEqual(byName);
      }
      const res = await as(mod)('GET', `/channels/directory?q=${prefix}-delta`);
      expect(res.body.channels).toEqual([
        {
          id: ids.get(`${prefix}-Delta`),
          name: `${prefix}-Delta`,
          kind: 'public',
          topic: '',
          createdAt: expect.any(String),
          memberCount: 2,
          lastSeq: 0,
          archivedAt: null,
          owner: { id: owner.id, username: owner.username },
        },
      ]);
    });

    it('pages by the last id, 1 to 100 at a time', async () => {
      const seen: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 5; page++) {
        const res = await as(admin)(
          'GET',
          `/channels/directory?q=${prefix}&limit=2${after ? `&after=${after}` : ''}`,
        );
        expect(res.status).toBe(200);
        seen.push(...res.body.channels.map((c: any) => c.name));
        after = res.body.channels.at(-1)?.id;
        if (!res.body.hasMore) break;
        expect(res.body.channels).toHaveLength(2);
      }
      expect(seen).toEqual(byName);
      for (const bad of [
        'limit=0',
        'limit=101',
        'limit=x',
        'after=nope',
        'archived=yes',
        `q=${'x'.repeat(81)}`,
      ])
        expect(await as(admin)('GET', `/channels/directory?${bad}`)).toMatchObject({
          status: 400,
          body: { code: 'VALIDATION' },
        });
    });

    it('filters archived and live channels, and treats q literally', async () => {
      const archived = await as(admin)('GET', `/channels/directory?q=${prefix}&archived=true`);
      expect(archived.body.channels.map((c: any) => [c.name, c.archivedAt !== null])).toEqual([
        [`${prefix}-charlie`, true],
      ]);
      const live = await as(admin)('GET', `/channels/directory?q=${prefix}&archived=false`);
      expect(live.body.channels.map((c: any) => c.name)).toEqual(
        byName.filter((n) => !n.endsWith('charlie')),
      );
      const wildcard = await as(admin)('GET', `/channels/directory?q=${encodeURIComponent(`${prefix}%`)}`);
      expect(wildcard.body).toEqual({ channels: [], hasMore: false });
    });
  });

  describe('PUT /channels/:id/owner', () => {
    it('hands the channel to a member, keeps the previous owner as a member, tells the members, and audits it', async () => {
      const id = await channel('private', uniqueName('own'), member);
      const { inbox } = await (async () => {
        const s = await connect(gw.url, member.token);
        sockets.push(s);
        return { inbox: new Inbox(s) };
      })();
      const requestId = `req-${uniqueName()}`;
      const res = await call(
        mod,
        'PUT',
        `/channels/${id}/owner`,
        { userId: member.id.toUpperCase() },
        {
          'x-request-id': requestId,
        },
      );
      expect(res).toMatchObject({ status: 200, body: { id, kind: 'private' } });
      await inbox.next('channel:updated', (c) => c.id === id);

      const members = await as(member)('GET', `/channels/${id}/members`);
      expect(members.body.map((m: any) => [m.userId, m.role])).toEqual([
        [member.id, 'owner'],
        [owner.id, 'member'],
      ]);
      // The new owner manages it; the previous one no longer does.
      expect((await as(member)('PATCH', `/channels/${id}`, { topic: 'mine now' })).status).toBe(200);
      expect((await as(owner)('PATCH', `/channels/${id}`, { topic: 'still mine?' })).status).toBe(403);

      expect(await auditOf('channel.owner_changed', id)).toEqual([
        expect.objectContaining({
          actor_id: mod.id,
          target_type: 'channel',
          details: { from: owner.id, to: member.id },
          request_id: requestId,
        }),
      ]);
    });

    it('refuses a user who is not a member, a DM and bad input, and records nothing then', async () => {
      const id = await channel('public', uniqueName('own'), member);
      const stranger = await call(admin, 'PUT', `/channels/${id}/owner`, { userId: outsider.id });
      expect(stranger).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
      expect(stranger.body.message).toContain(outsider.id);
      expect(await call(admin, 'PUT', `/channels/${id}/owner`, { userId: randomUUID() })).toMatchObject({
        status: 404,
      });
      expect(await call(admin, 'PUT', `/channels/${id}/owner`, { userId: 'x' })).toMatchObject({
        status: 400,
      });
      expect(
        await call(admin, 'PUT', `/channels/${randomUUID()}/owner`, { userId: member.id }),
      ).toMatchObject({
        status: 404,
      });
      const dm = await as(admin)('POST', '/dms', { userId: member.id });
      expect(await call(admin, 'PUT', `/channels/${dm.body.id}/owner`, { userId: member.id })).toMatchObject({
        status: 403,
      });
      // The owner already owns it: nothing to record.
      expect(await call(admin, 'PUT', `/channels/${id}/owner`, { userId: owner.id })).toMatchObject({
        status: 200,
      });
      expect(await auditOf('channel.owner_changed', id)).toEqual([]);
      const members = await as(owner)('GET', `/channels/${id}/members`);
      expect(members.body.map((m: any) => [m.userId, m.role])).toEqual([
        [owner.id, 'owner'],
        [member.id, 'member'],
      ]);
    });
  });

  describe('GET /hooks and the webhooks audit', () => {
    it('lists every channel’s webhooks newest first without secrets, and records creation and deletion', async () => {
      const first = await channel('public', uniqueName('hooks'));
      const second = await channel('private', uniqueName('hooks'));
      const created: { id: string; url: string; requestId: string }[] = [];
      for (const [channelId, by] of [
        [first, owner],
        [second, mod],
      ] as const) {
        const requestId = `req-${uniqueName()}`;
        const res = await call(
          by,
          'POST',
          `/channels/${channelId}/webhooks`,
          { name: 'ci' },
          {
            'x-request-id': requestId,
          },
        );
        expect(res.status).toBe(201);
        created.push({ id: res.body.id, url: res.body.url, requestId });
      }
      const page = await as(admin)('GET', '/hooks?limit=2');
      expect(page.status).toBe(200);
      expect(page.body.webhooks.map((w: any) => w.id)).toEqual([created[1].id, created[0].id]);
      const newest = await as(admin)('GET', '/hooks?limit=1');
      expect(newest.body).toMatchObject({ webhooks: [{ id: created[1].id }], hasMore: true });
      const older = await as(admin)('GET', `/hooks?limit=1&after=${created[1].id}`);
      expect(older.body.webhooks.map((w: any) => w.id)).toEqual([created[0].id]);
      expect(page.body.webhooks[0]).toEqual({
        id: created[1].id,
        channelId: second,
        channelName: expect.stringMatching(/^hooks_/),
        name: 'ci',
        kind: 'incoming',
        url: null,
        targetUrl: null,
        events: expect.any(Array),
        createdBy: mod.id,
        createdByUsername: mod.username,
        createdAt: expect.any(String),
      });
      const secrets = created.map((c) => c.url.split('/').at(-1)!);
      for (const secret of secrets) expect(JSON.stringify(page.body)).not.toContain(secret);
      const next = await as(admin)('GET', `/hooks?limit=1&after=${created[0].id}`);
      expect(next.body.webhooks.map((w: any) => w.id)).not.toContain(created[0].id);
      expect(next.body.webhooks.map((w: any) => w.id)).not.toContain(created[1].id);
      expect(await as(admin)('GET', '/hooks?limit=500')).toMatchObject({ status: 400 });

      // Deliveries to /hooks/:id/:secret are still what they were.
      const path = new URL(created[0].url).pathname;
      expect((await request(gw.url, 'POST', path, { body: { text: 'from CI' } })).status).toBe(201);

      // A refused creation records nothing; a deletion records the revocation.
      expect((await as(member)('POST', `/channels/${first}/webhooks`, { name: 'nope' })).status).toBe(403);
      const revokedBy = `req-${uniqueName()}`;
      const removed = await call(admin, 'DELETE', `/channels/${first}/webhooks/${created[0].id}`, undefined, {
        'x-request-id': revokedBy,
      });
      expect(removed.status).toBe(204);
      expect(await call(admin, 'DELETE', `/channels/${first}/webhooks/${created[0].id}`)).toMatchObject({
        status: 404,
      });

      expect(await auditOf('webhook.created', created[0].id)).toEqual([
        expect.objectContaining({
          actor_id: owner.id,
          target_type: 'webhook',
          target_name: 'ci',
          request_id: created[0].requestId,
        }),
      ]);
      expect(await auditOf('webhook.created', created[1].id)).toEqual([
        expect.objectContaining({ actor_id: mod.id, request_id: created[1].requestId }),
      ]);
      expect(await auditOf('webhook.revoked', created[0].id)).toEqual([
        expect.objectContaining({ actor_id: admin.id, target_type: 'webhook', request_id: revokedBy }),
      ]);
      expect(await auditOf('webhook.revoked', created[1].id)).toEqual([]);
      // Its account left the channel as part of the revocation, not as a member removal.
      const [{ removals }] = await sql<{ removals: number }>(
        `SELECT count(*)::int AS removals FROM audit_events WHERE action = 'member.removed' AND details->>'channelId' = $1`,
        [first],
      );
      expect(removals).toBe(0);
      const [{ count }] = await sql<{ count: number }>(
        `SELECT count(*)::int AS count FROM audit_events WHERE action = 'webhook.created' AND details->>'channelId' = $1`,
        [first],
      );
      expect(count).toBe(1);
    });
  });

  describe('audit of moderation', () => {
    it('records a moderator deleting someone else’s message over REST, and nothing for the author’s own', async () => {
      const id = await channel('public', uniqueName('del'), member);
      const mine = await as(member)('POST', `/channels/${id}/messages`, { body: 'mine' });
      const theirs = await as(member)('POST', `/channels/${id}/messages`, { body: 'moderate me' });
      expect((await as(member)('DELETE', `/messages/${mine.body.id}`)).status).toBe(204);
      expect(await auditOf('message.deleted_by_moderator', mine.body.id)).toEqual([]);

      // Refused: nothing recorded.
      expect((await as(outsider)('DELETE', `/messages/${theirs.body.id}`)).status).toBe(403);
      const requestId = `req-${uniqueName()}`;
      const res = await call(owner, 'DELETE', `/messages/${theirs.body.id}`, undefined, {
        'x-request-id': requestId,
        'x-forwarded-for': '198.51.100.23',
      });
      expect(res.status).toBe(204);
      // Deleting again is a no-op, recorded once.
      expect((await as(admin)('DELETE', `/messages/${theirs.body.id}`)).status).toBe(204);
      expect(await auditOf('message.deleted_by_moderator', theirs.body.id)).toEqual([
        {
          actor_id: owner.id,
          actor_name: owner.username,
          target_type: 'message',
          target_id: theirs.body.id,
          target_name: null,
          details: { channelId: id, seq: theirs.body.seq, authorId: member.id },
          request_id: requestId,
          // The gateway trusts loopback proxies by default: the forwarded client is recorded.
          client_address: '198.51.100.23',
        },
      ]);
    });

    it('records a deletion over the socket with a socket request id and the forwarded address', async () => {
      const id = await channel('public', uniqueName('del'), member);
      const theirs = await as(member)('POST', `/channels/${id}/messages`, { body: 'over the socket' });
      const mine = await as(admin)('POST', `/channels/${id}/join`);
      expect(mine.status).toBe(200);
      const socket = await connect(gw.url, admin.token, {
        extraHeaders: { 'x-forwarded-for': '203.0.113.5' },
      });
      sockets.push(socket);
      const own = await send(socket, 'message:send', {
        channelId: id,
        body: 'my own',
        clientId: randomUUID(),
      });
      expect(await send(socket, 'message:delete', { messageId: own.message.id })).toEqual({ ok: true });
      expect(await send(socket, 'message:delete', { messageId: theirs.body.id })).toEqual({ ok: true });

      expect(await auditOf('message.deleted_by_moderator', own.message.id)).toEqual([]);
      const [row] = await auditOf('message.deleted_by_moderator', theirs.body.id);
      expect(row).toMatchObject({
        actor_id: admin.id,
        details: { channelId: id, seq: theirs.body.seq, authorId: member.id },
        client_address: '203.0.113.5',
      });
      expect(row.request_id).toMatch(/^socket:[0-9a-f-]{36}$/);
    });

    it('records removing a member by someone else, not leaving', async () => {
      const id = await channel('private', uniqueName('rm'), member, outsider);
      const channelName = (await as(owner)('GET', `/channels/${id}`)).body.name;
      expect((await as(member)('DELETE', `/channels/${id}/members/${outsider.id}`)).status).toBe(403);
      expect((await as(member)('DELETE', `/channels/${id}/members/${member.id}`)).status).toBe(204);
      expect(await auditOf('member.removed', member.id)).toEqual(
        expect.not.arrayContaining([expect.objectContaining({ details: { channelId: id } })]),
      );
      const requestId = `req-${uniqueName()}`;
      const res = await call(owner, 'DELETE', `/channels/${id}/members/${outsider.id}`, undefined, {
        'x-request-id': requestId,
      });
      expect(res.status).toBe(204);
      // Removing them again changes nothing and records nothing.
      expect((await as(owner)('DELETE', `/channels/${id}/members/${outsider.id}`)).status).toBe(204);
      const rows = (await auditOf('member.removed', outsider.id)).filter((r) => r.details.channelId === id);
      expect(rows).toEqual([
        expect.objectContaining({
          actor_id: owner.id,
          target_type: 'user',
          target_name: outsider.username,
          request_id: requestId,
        }),
      ]);
      expect(channelName).toMatch(/^rm_/);
    });
  });
});
