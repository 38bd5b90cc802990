import { randomUUID } from 'node:crypto';
import { request, uniqueName } from '../../../test/support/apps';
import { api, send, setRoles, sql, type TestUser } from '../../../test/support/gateway';
import { startMedia, uploadFile, type RunningMedia } from '../../../test/support/media';
import { twoReplicas } from '../../../test/support/replicas';

const ARCHIVED = { code: 'FORBIDDEN', message: 'This channel is archived' };

/**
 * Channel archival (issue #19) against real Postgres, Redis, two gateway replicas and the media
 * service: who may archive and unarchive, everything an archived channel refuses (over REST, socket
 * acks and uploads alike), what still works, the live `channel:updated` on the other replica, and
 * the audit records.
 */
describe('gateway: archived channels', () => {
  const { auth, a, b, admin, users, open, channel, post } = twoReplicas({
    users: ['owner', 'member', 'outsider', 'mod'] as const,
    admin: true,
  });
  const { owner, member, outsider, mod } = users;
  let media: RunningMedia;

  /** A request through replica A with an X-Request-Id of our choosing. */
  const call = (user: TestUser | null, method: string, path: string, body?: unknown, requestId?: string) =>
    request(a.url, method, path, {
      token: user?.token,
      body,
      headers: requestId ? { 'x-request-id': requestId } : {},
    });
  const archive = (user: TestUser | null, id: string, requestId?: string) =>
    call(user, 'POST', `/channels/${id}/archive`, undefined, requestId);
  const unarchive = (user: TestUser | null, id: string, requestId?: string) =>
    call(user, 'DELETE', `/channels/${id}/archive`, undefined, requestId);
  const auditOf = (action: string, targetId: string) =>
    sql<{
      actor_id: string;
      actor_name: string;
      target_type: string;
      target_name: string;
      request_id: string;
    }>(
      `SELECT actor_id, actor_name, target_type, target_name, request_id FROM audit_events
        WHERE action = $1 AND target_id = $2 ORDER BY position`,
      [action, targetId],
    );

  beforeAll(async () => {
    await setRoles(auth.url, admin, mod.id, ['moderator']);
    media = await startMedia(auth);
  });

  afterAll(async () => {
    await media?.close();
  });

  it('lets the owner, moderators and admins archive, and only moderators and admins unarchive', async () => {
    const pub = await channel('public', member);
    const priv = await channel('private', member);

    expect(await archive(null, pub)).toMatchObject({ status: 401 });
    expect(await unarchive(null, pub)).toMatchObject({ status: 401 });
    expect(await archive(member, pub)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect(await archive(outsider, pub)).toMatchObject({ status: 403 });
    // A private channel the caller is not in does not exist for them.
    expect(await archive(outsider, priv)).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect((await api(a.url, owner)('GET', `/channels/${pub}`)).body.archivedAt).toBeNull();

    const archived = await archive(owner, pub);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: pub, archivedAt: expect.any(String) });
    expect(Date.parse(archived.body.archivedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Archiving again changes nothing.
    expect(await archive(owner, pub)).toMatchObject({
      status: 200,
      body: { archivedAt: archived.body.archivedAt },
    });

    expect(await unarchive(owner, pub)).toMatchObject({
      status: 403,
      body: { code: 'FORBIDDEN', message: 'Only a moderator or an admin may do this' },
    });
    expect(await unarchive(member, pub)).toMatchObject({ status: 403 });
    expect(await unarchive(mod, pub)).toMatchObject({ status: 200, body: { archivedAt: null } });
    expect(await archive(mod, pub)).toMatchObject({ status: 200, body: { archivedAt: expect.any(String) } });
    expect(await unarchive(admin, pub)).toMatchObject({ status: 200, body: { archivedAt: null } });

    // Staff manage private channels they are not in; a DM is nobody's to archive.
    expect(await archive(admin, priv)).toMatchObject({
      status: 200,
      body: { archivedAt: expect.any(String) },
    });
    expect(await unarchive(mod, priv)).toMatchObject({ status: 200, body: { archivedAt: null } });
    const dm = await api(a.url, owner)('POST', '/dms', { userId: member.id });
    // A DM is hidden from everyone else, staff included; its members are told it has no settings.
    expect(await archive(admin, dm.body.id)).toMatchObject({ status: 404 });
    expect(await archive(owner, dm.body.id)).toMatchObject({ status: 403 });
    expect(await unarchive(member, dm.body.id)).toMatchObject({ status: 403 });
    expect(await archive(admin, randomUUID())).toMatchObject({ status: 404 });
    expect(await archive(admin, 'not-a-uuid')).toMatchObject({ status: 404 });
  });

  it('refuses every write over REST, socket acks and uploads, and still serves reading, sync, search and leaving', async () => {
    const id = await channel('public', member);
    const word = `archword${randomUUID().slice(0, 8)}`;
    const mine = await post(a, member, id, `${word} by the member`);
    const theirs = await post(a, owner, id, 'by the owner');
    const pin = await api(a.url, owner)('POST', `/channels/${id}/pins`, { messageId: theirs.id });
    expect(pin.status).toBe(204);
    const reacted = await api(a.url, member)(
      'PUT',
      `/messages/${theirs.id}/reactions/${encodeURIComponent('👍')}`,
    );
    expect(reacted.status).toBe(204);
    const hook = await api(a.url, owner)('POST', `/channels/${id}/webhooks`, { name: 'ci' });
    expect(hook.status).toBe(201);
    const { socket } = await open(b, member);
    expect((await archive(owner, id)).status).toBe(200);

    const asMember = api(a.url, member);
    const asOwner = api(a.url, owner);
    const refusals = [
      await asMember('POST', `/channels/${id}/messages`, { body: 'hello?' }),
      await asMember('POST', `/channels/${id}/messages`, { body: 'reply?', threadId: theirs.id }),
      await asMember('PATCH', `/messages/${mine.id}`, { body: 'edited?' }),
      await asMember('DELETE', `/messages/${mine.id}`),
      await api(a.url, admin)('DELETE', `/messages/${theirs.id}`),
      await asMember('PUT', `/messages/${mine.id}/reactions/${encodeURIComponent('🎉')}`),
      await asMember('DELETE', `/messages/${theirs.id}/reactions/${encodeURIComponent('👍')}`),
      await asMember('POST', `/channels/${id}/pins`, { messageId: mine.id }),
      await asOwner('DELETE', `/channels/${id}/pins/${theirs.id}`),
      await asOwner('PATCH', `/channels/${id}`, { topic: 'new topic' }),
      await api(a.url, outsider)('POST', `/channels/${id}/join`),
      await asOwner('POST', `/channels/${id}/members`, { userId: outsider.id }),
      await asMember('POST', `/channels/${id}/members`, { userId: outsider.id }),
      await asOwner('POST', `/channels/${id}/webhooks`, { name: 'bot' }),
    ];
    refusals.push(
      await request(a.url, 'POST', new URL(hook.body.url).pathname, { body: { text: 'from CI' } }),
    );
    for (const res of refusals)
      expect({ status: res.status, ...res.body }).toMatchObject({ status: 403, ...ARCHIVED });

    const acks = [
      await send(socket, 'message:send', { channelId: id, body: 'over the socket?', clientId: randomUUID() }),
      await send(socket, 'message:edit', { messageId: mine.id, body: 'edited over the socket?' }),
      await send(socket, 'message:delete', { messageId: mine.id }),
      await send(socket, 'reaction:add', { messageId: mine.id, emoji: ':tada:' }),
      await send(socket, 'reaction:remove', { messageId: theirs.id, emoji: '👍' }),
    ];
    for (const ack of acks) expect(ack).toEqual({ ok: false, error: ARCHIVED });

    const upload = await uploadFile(media.url, member.token, id, new Uint8Array([1, 2, 3]), 'a.bin');
    expect(upload).toMatchObject({ status: 403, body: ARCHIVED });
    const presign = await request(media.url, 'POST', '/files/uploads', {
      token: member.token,
      body: { channelId: id, name: 'a.txt', size: 3, contentType: 'text/plain' },
    });
    expect(presign).toMatchObject({ status: 403, body: ARCHIVED });

    // Nothing changed: the same two messages, unedited, undeleted, with their pin and reaction.
    const history = await asMember('GET', `/channels/${id}/messages`);
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m: any) => [m.seq, m.body, m.deleted, m.pinned])).toEqual([
      [mine.seq, `${word} by the member`, false, false],
      [theirs.seq, 'by the owner', false, true],
    ]);
    expect(history.body.messages[1].reactions).toEqual([{ emoji: '👍', userIds: [member.id] }]);
    const ch = await asOwner('GET', `/channels/${id}`);
    // Owner, member and the webhook's account.
    expect(ch.body).toMatchObject({ lastSeq: theirs.seq, topic: '', memberCount: 3 });

    // Reading still works: history above, catch-up, search, member list, pins, read markers.
    const sync = await send(socket, 'channel:sync', { channelId: id, afterSeq: 0 });
    expect(sync).toMatchObject({ ok: true, hasMore: false });
    expect(sync.messages.map((m: any) => m.id)).toEqual([mine.id, theirs.id]);
    const search = await asMember('GET', `/search?q=${word}`);
    expect(search.body.messages.map((m: any) => m.id)).toEqual([mine.id]);
    expect((await asMember('GET', `/channels/${id}/members`)).status).toBe(200);
    expect((await asMember('GET', `/channels/${id}/pins`)).body.map((m: any) => m.id)).toEqual([theirs.id]);
    expect(await send(socket, 'channel:read', { channelId: id, seq: theirs.seq })).toEqual({ ok: true });

    // Leaving still works, and then the channel cannot be joined back.
    expect((await asMember('POST', `/channels/${id}/leave`)).status).toBe(204);
    expect(await asMember('POST', `/channels/${id}/join`)).toMatchObject({ status: 403, body: ARCHIVED });

    // Unarchived, it takes writes again.
    expect((await unarchive(admin, id)).status).toBe(200);
    expect((await asOwner('POST', `/channels/${id}/messages`, { body: 'back' })).status).toBe(201);
    expect((await api(a.url, outsider)('POST', `/channels/${id}/join`)).status).toBe(200);
  });

  it('tells every member live, on the other replica too, and leaves archived channels out of the public list', async () => {
    const id = await channel('public', member);
    const name = (await api(a.url, owner)('GET', `/channels/${id}`)).body.name as string;
    const onB = await open(b, member);
    const ownerOnA = await open(a, owner);

    expect((await archive(owner, id)).status).toBe(200);
    const pushed = await onB.inbox.next('channel:updated', (c) => c.id === id && c.archivedAt !== null);
    expect(pushed).toMatchObject({ id, name, archivedAt: expect.any(String) });
    await ownerOnA.inbox.next('channel:updated', (c) => c.id === id && c.archivedAt !== null);

    const listed = await api(b.url, member)('GET', `/channels/public?q=${encodeURIComponent(name)}`);
    expect(listed.body).toEqual([]);
    const mine = await api(b.url, member)('GET', '/channels');
    expect(mine.body.find((c: any) => c.id === id)).toMatchObject({ archivedAt: pushed.archivedAt });

    expect((await unarchive(mod, id)).status).toBe(200);
    await onB.inbox.next('channel:updated', (c) => c.id === id && c.archivedAt === null);
    const again = await api(b.url, member)('GET', `/channels/public?q=${encodeURIComponent(name)}`);
    expect(again.body.map((c: any) => c.id)).toEqual([id]);
  });

  it('records archival and unarchival with actor, channel and request id, and nothing for a refused one', async () => {
    const id = await channel('private', member);
    const name = (await api(a.url, owner)('GET', `/channels/${id}`)).body.name as string;
    // Refused: nothing is recorded.
    expect((await archive(member, id, `req-${uniqueName()}`)).status).toBe(403);
    expect((await unarchive(owner, id, `req-${uniqueName()}`)).status).toBe(403);
    expect(await auditOf('channel.archived', id)).toEqual([]);

    const archivedBy = `req-${uniqueName()}`;
    expect((await archive(owner, id, archivedBy)).status).toBe(200);
    // Archiving what is archived changes nothing and records nothing.
    expect((await archive(admin, id)).status).toBe(200);
    expect((await unarchive(owner, id)).status).toBe(403);
    expect(await auditOf('channel.unarchived', id)).toEqual([]);
    const unarchivedBy = `req-${uniqueName()}`;
    expect((await unarchive(mod, id, unarchivedBy)).status).toBe(200);

    expect(await auditOf('channel.archived', id)).toEqual([
      {
        actor_id: owner.id,
        actor_name: owner.username,
        target_type: 'channel',
        target_name: name,
        request_id: archivedBy,
      },
    ]);
    expect(await auditOf('channel.unarchived', id)).toEqual([
      {
        actor_id: mod.id,
        actor_name: mod.username,
        target_type: 'channel',
        target_name: name,
        request_id: unarchivedBy,
      },
    ]);
  });
});
