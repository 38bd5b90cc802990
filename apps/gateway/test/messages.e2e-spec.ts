import { InProcessEventBus } from '@chat/platform';
import { startAuth, uniqueName, type Running } from '../../../test/support/apps';
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
  uploadedFile,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

/**
 * Messages over socket.io and REST: authorization of every command, history and catch-up pages,
 * idempotent sends, attachments, edits, deletes, typing and search. Single-process mode.
 */
describe('gateway messages', () => {
  const ADMIN_PASSWORD = 'admin-password-123';
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
  /** A channel of `owner` with `member` in it. */
  const channel = async (kind: 'public' | 'private') => {
    const res = await as(owner)('POST', '/channels', { name: uniqueName(kind), kind });
    await as(owner)('POST', `/channels/${res.body.id}/members`, { userId: member.id });
    return res.body.id as string;
  };
  const post = async (user: TestUser, channelId: string, body: string) => {
    const res = await as(user)('POST', `/channels/${channelId}/messages`, { body });
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ REDIS_URL: '', ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    gw = await startGateway(auth, { REDIS_URL: '' });
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
    await closeSql();
  });

  describe('sending', () => {
    it('acknowledges a socket send with the persisted message and pushes it to every member socket', async () => {
      const id = await channel('private');
      const [o1, o2, m, x] = await Promise.all([open(owner), open(owner), open(member), open(outsider)]);
      const ack = await send(o1.socket, 'message:send', {
        channelId: id,
        body: '  hello there  ',
        clientId: 'c-1',
      });
      expect(ack).toEqual({
        ok: true,
        message: {
          id: expect.any(String),
          channelId: id,
          seq: 1,
          author: { id: owner.id, username: owner.username, bot: false },
          body: 'hello there',
          attachments: [],
          clientId: 'c-1',
          createdAt: expect.any(String),
          editedAt: null,
          deleted: false,
          threadId: null,
          replyCount: 0,
          lastReplyAt: null,
          reactions: [],
          mentions: { userIds: [], channel: false },
          pinned: false,
        },
      });
      for (const tab of [o1, o2, m])
        expect(await tab.inbox.next('message:new')).toEqual(ack.ok && ack.message);
      expect(await x.inbox.during('message:new', 100)).toEqual([]);
      const stored = await sql('SELECT seq, body FROM messages WHERE id = $1', [ack.ok && ack.message.id]);
      expect(stored).toEqual([{ seq: '1', body: 'hello there' }]);
    });

    it('sends over REST with 201 and pushes it too', async () => {
      const id = await channel('public');
      const m = await open(member);
      const res = await as(owner)('POST', `/channels/${id}/messages`, { body: 'via rest' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ seq: 1, body: 'via rest', author: { id: owner.id } });
      expect(await m.inbox.next('message:new')).toEqual(res.body);
    });

    it('authorizes send, sync, read and typing: members yes, others by what they may know', async () => {
      const priv = await channel('private');
      const pub = await channel('public');
      const dm = (await as(owner)('POST', '/dms', { userId: member.id })).body.id;
      await post(owner, priv, 'seed');
      const tabs = new Map<TestUser, TestSocket>();
      for (const u of [owner, member, outsider, moderator, admin]) tabs.set(u, (await open(u)).socket);
      const commands = (channelId: string) =>
        [
          ['message:send', { channelId, body: 'hi' }],
          ['channel:sync', { channelId, afterSeq: 0 }],
          ['channel:read', { channelId, seq: 1 }],
          ['typing', { channelId, typing: false }],
        ] as const;
      const expectations: [string, TestUser, string][] = [
        [priv, owner, 'ok'],
        [priv, member, 'ok'],
        [priv, outsider, 'NOT_FOUND'],
        [priv, moderator, 'FORBIDDEN'],
        [priv, admin, 'FORBIDDEN'],
        [pub, outsider, 'FORBIDDEN'],
        [pub, member, 'ok'],
        [dm, member, 'ok'],
        [dm, outsider, 'NOT_FOUND'],
        [dm, admin, 'NOT_FOUND'],
        ['00000000-0000-4000-8000-000000000000', owner, 'NOT_FOUND'],
      ];
      for (const [channelId, user, outcome] of expectations) {
        for (const [event, payload] of commands(channelId)) {
          const ack = await send(tabs.get(user)!, event, payload as never);
          const got = ack.ok ? 'ok' : ack.error.code;
          expect({ event, user: user.username, channelId, got }).toEqual({
            event,
            user: user.username,
            channelId,
            got: outcome,
          });
        }
      }
      // The refusals left nothing behind: only the members' messages were stored, gap-free.
      const seqs = await sql('SELECT seq FROM messages WHERE channel_id = $1 ORDER BY seq', [priv]);
      expect(seqs.map((r) => Number(r.seq))).toEqual([1, 2, 3]);
    });

    it('answers REST calls with the same authorization', async () => {
      const priv = await channel('private');
      expect((await as(outsider)('POST', `/channels/${priv}/messages`, { body: 'x' })).status).toBe(404);
      expect((await as(outsider)('GET', `/channels/${priv}/messages`)).status).toBe(404);
      expect((await as(moderator)('GET', `/channels/${priv}/messages`)).status).toBe(403);
      const pub = await channel('public');
      const res = await as(outsider)('GET', `/channels/${pub}/messages`);
      expect([res.status, res.body.code]).toEqual([403, 'FORBIDDEN']);
    });
  });

  describe('history and catch-up', () => {
    let id: string;
    beforeAll(async () => {
      id = await channel('public');
      for (let i = 1; i <= 120; i++) await post(i % 2 ? owner : member, id, `message ${i}`);
    });
    const history = async (query: string) => {
      const res = await as(member)('GET', `/channels/${id}/messages${query}`);
      expect(res.status).toBe(200);
      return { seqs: res.body.messages.map((m: { seq: number }) => m.seq), hasMore: res.body.hasMore };
    };
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    it('pages by seq in ascending order', async () => {
      expect(await history('')).toEqual({ seqs: range(71, 120), hasMore: true });
      expect(await history('?before=71')).toEqual({ seqs: range(21, 70), hasMore: true });
      expect(await history('?before=21')).toEqual({ seqs: range(1, 20), hasMore: false });
      expect(await history('?after=100')).toEqual({ seqs: range(101, 120), hasMore: false });
      expect(await history('?after=10&limit=5')).toEqual({ seqs: range(11, 15), hasMore: true });
      expect(await history('?after=10&before=14')).toEqual({ seqs: [11, 12, 13], hasMore: false });
      expect(await history('?limit=100&after=0')).toEqual({ seqs: range(1, 100), hasMore: true });
      expect(await history('?after=120')).toEqual({ seqs: [], hasMore: false });
    });

    it('refuses bad paging parameters', async () => {
      for (const q of [
        '?limit=0',
        '?limit=101',
        '?before=-1',
        '?after=abc',
        '?limit=1.5',
        '?other=1',
        '?after=1e300',
      ]) {
        const res = await as(member)('GET', `/channels/${id}/messages${q}`);
        expect({ q, status: res.status }).toEqual({ q, status: 400 });
      }
    });

    it('catches up over the socket with exactly what came after a seq', async () => {
      const { socket } = await open(member);
      const ack = await send(socket, 'channel:sync', { channelId: id, afterSeq: 110 });
      expect(ack.ok && ack.messages.map((m: { seq: number }) => m.seq)).toEqual(range(111, 120));
      expect(ack.ok && ack.hasMore).toBe(false);
      const paged = await send(socket, 'channel:sync', { channelId: id, afterSeq: 0, limit: 30 });
      expect(paged.ok && [paged.messages.length, paged.messages[0].seq, paged.hasMore]).toEqual([
        30,
        1,
        true,
      ]);
      const byDefault = await send(socket, 'channel:sync', { channelId: id, afterSeq: 0 });
      expect(byDefault.ok && byDefault.messages.length).toBe(100);
    });

    it('keeps a deleted message’s seq, without its content', async () => {
      const victim = (await as(member)('GET', `/channels/${id}/messages?after=4&limit=1`)).body.messages[0];
      expect(
        (await as(victim.author.id === owner.id ? owner : member)('DELETE', `/messages/${victim.id}`)).status,
      ).toBe(204);
      const page = (await as(member)('GET', `/channels/${id}/messages?after=3&limit=3`)).body.messages;
      expect(page.map((m: { seq: number }) => m.seq)).toEqual([4, 5, 6]);
      expect(page[1]).toMatchObject({ id: victim.id, seq: 5, deleted: true, body: '', attachments: [] });
    });
  });

  describe('retries with clientId', () => {
    it('answers a retry with the original and broadcasts nothing new', async () => {
      const id = await channel('private');
      const [o, m] = await Promise.all([open(owner), open(member)]);
      const first = await send(o.socket, 'message:send', {
        channelId: id,
        body: 'once',
        clientId: 'retry-1',
      });
      const again = await send(o.socket, 'message:send', {
        channelId: id,
        body: 'once',
        clientId: 'retry-1',
      });
      const rest = await as(owner)('POST', `/channels/${id}/messages`, { body: 'once', clientId: 'retry-1' });
      expect(again).toEqual(first);
      expect(rest.body).toEqual(first.ok && first.message);
      await m.inbox.next('message:new');
      expect(await m.inbox.during('message:new', 200)).toEqual([]);
      expect(m.inbox.all('message:new')).toHaveLength(1);
      // A clientId is the author's: someone else may use the same one.
      const other = await send(m.socket, 'message:send', {
        channelId: id,
        body: 'mine',
        clientId: 'retry-1',
      });
      expect(other.ok && other.message.seq).toBe(2);
      const elsewhere = await channel('public');
      const moved = await send(o.socket, 'message:send', {
        channelId: elsewhere,
        body: 'once',
        clientId: 'retry-1',
      });
      expect(moved).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.any(String) } });
    });

    it('stores one message and leaves no seq gap when the same clientId races', async () => {
      const id = await channel('public');
      const tabs = await Promise.all([1, 2, 3, 4].map(() => open(owner)));
      const acks = await Promise.all(
        tabs.flatMap((t) =>
          [1, 2].map(() => send(t.socket, 'message:send', { channelId: id, body: 'race', clientId: 'same' })),
        ),
      );
      const ids = new Set(acks.map((a) => a.ok && a.message.id));
      expect(ids.size).toBe(1);
      expect(acks.every((a) => a.ok && a.message.seq === 1)).toBe(true);
      const next = await post(owner, id, 'next');
      expect(next.seq).toBe(2);
    });
  });

  describe('attachments', () => {
    it('attaches the author’s finished uploads to the channel and lists them on the message', async () => {
      const id = await channel('private');
      const m = await open(member);
      const files = [
        await uploadedFile(id, owner.id, { name: 'a.png' }),
        await uploadedFile(id, owner.id, { name: 'b.png' }),
      ];
      const res = await as(owner)('POST', `/channels/${id}/messages`, { body: 'look', attachmentIds: files });
      expect(res.status).toBe(201);
      expect(res.body.attachments).toEqual([
        {
          id: files[0],
          channelId: id,
          name: 'a.png',
          size: 1234,
          contentType: 'image/png',
          uploadedBy: owner.id,
          createdAt: expect.any(String),
        },
        {
          id: files[1],
          channelId: id,
          name: 'b.png',
          size: 1234,
          contentType: 'image/png',
          uploadedBy: owner.id,
          createdAt: expect.any(String),
        },
      ]);
      expect((await m.inbox.next('message:new')).attachments).toHaveLength(2);
      const rows = await sql('SELECT message_id FROM files WHERE id = ANY($1::uuid[])', [files]);
      expect(rows.map((r) => r.message_id)).toEqual([res.body.id, res.body.id]);
    });

    it('reads the message back with the same attachments from history, catch-up and search', async () => {
      const id = await channel('private');
      const files = [
        await uploadedFile(id, owner.id, { name: 'first.png' }),
        await uploadedFile(id, owner.id, { name: 'second.png' }),
      ];
      const sent = await as(owner)('POST', `/channels/${id}/messages`, {
        body: 'quarterly chart',
        attachmentIds: files,
      });
      const plain = await post(owner, id, 'no files here');
      // The send lists the attachments in the order given, reads in upload order (created_at, id):
      // the same files, compared here regardless of order.
      type Shown = { attachments: { id: string }[] };
      const unordered = (messages: Shown[]) =>
        messages.map((m) => ({
          ...m,
          attachments: [...m.attachments].sort((a, b) => a.id.localeCompare(b.id)),
        }));
      const expected = unordered([sent.body, plain]);

      const page = await as(member)('GET', `/channels/${id}/messages`);
      expect(unordered(page.body.messages)).toEqual(expected);
      const { socket } = await open(member);
      const synced = await send(socket, 'channel:sync', { channelId: id, afterSeq: 0 });
      expect(synced.ok && unordered(synced.messages)).toEqual(expected);
      const found = await as(member)('GET', `/search?q=quarterly&channelId=${id}`);
      expect(unordered(found.body.messages)).toEqual(expected.slice(0, 1));

      // A deleted message keeps its seq and shows no attachments.
      expect((await as(owner)('DELETE', `/messages/${sent.body.id}`)).status).toBe(204);
      const after = await as(member)('GET', `/channels/${id}/messages`);
      expect(after.body.messages[0]).toMatchObject({ id: sent.body.id, deleted: true, attachments: [] });
    });

    it('refuses attachments that are not the author’s finished, unattached uploads to this channel', async () => {
      const id = await channel('private');
      const other = await channel('private');
      const { socket } = await open(owner);
      const attached = await uploadedFile(id, owner.id);
      await post(owner, id, 'first');
      await as(owner)('POST', `/channels/${id}/messages`, { body: 'with file', attachmentIds: [attached] });
      const cases: [string, string][] = [
        [await uploadedFile(id, member.id), 'NOT_FOUND'],
        ['00000000-0000-4000-8000-000000000000', 'NOT_FOUND'],
        [await uploadedFile(other, owner.id), 'VALIDATION'],
        [await uploadedFile(id, owner.id, { status: 'pending' }), 'VALIDATION'],
        [attached, 'VALIDATION'],
      ];
      for (const [fileId, code] of cases) {
        const ack = await send(socket, 'message:send', { channelId: id, body: 'x', attachmentIds: [fileId] });
        expect({ fileId, code: !ack.ok && ack.error.code }).toEqual({ fileId, code });
      }
      const tooMany = Array.from({ length: 11 }, () => '00000000-0000-4000-8000-000000000000');
      expect(
        (await send(socket, 'message:send', { channelId: id, body: 'x', attachmentIds: tooMany })).ok,
      ).toBe(false);
      // Failed sends gave their seq back.
      expect((await post(owner, id, 'after')).seq).toBe(3);
    });

    it('re-sends a message as updated when the media service deletes one of its files', async () => {
      const id = await channel('private');
      const m = await open(member);
      const [keep, drop] = [await uploadedFile(id, owner.id), await uploadedFile(id, owner.id)];
      const res = await as(owner)('POST', `/channels/${id}/messages`, {
        body: 'files',
        attachmentIds: [keep, drop],
      });
      await sql('DELETE FROM files WHERE id = $1', [drop]);
      await new InProcessEventBus().publish('file.deleted', {
        fileId: drop,
        channelId: id,
        messageId: res.body.id,
      });
      const updated = await m.inbox.next('message:updated');
      expect(updated).toMatchObject({ id: res.body.id, body: 'files' });
      expect(updated.attachments.map((f: { id: string }) => f.id)).toEqual([keep]);
    });
  });

  describe('editing and deleting', () => {
    it('lets only the author edit, and pushes message:updated', async () => {
      const id = await channel('private');
      const sent = await post(member, id, 'draft');
      const [o, m] = await Promise.all([open(owner), open(member)]);
      const cases: [TestUser, string][] = [
        [owner, 'FORBIDDEN'],
        [moderator, 'FORBIDDEN'],
        [admin, 'FORBIDDEN'],
        [outsider, 'NOT_FOUND'],
      ];
      for (const [user, code] of cases) {
        const { socket } = await open(user);
        const ack = await send(socket, 'message:edit', { messageId: sent.id, body: 'hijacked' });
        expect({ user: user.username, code: !ack.ok && ack.error.code }).toEqual({
          user: user.username,
          code,
        });
      }
      const ack = await send(m.socket, 'message:edit', { messageId: sent.id, body: 'final' });
      expect(ack.ok && ack.message).toMatchObject({
        id: sent.id,
        seq: sent.seq,
        body: 'final',
        editedAt: expect.any(String),
      });
      expect(await o.inbox.next('message:updated')).toEqual(ack.ok && ack.message);
      const rest = await as(member)('PATCH', `/messages/${sent.id}`, { body: 'final, really' });
      expect([rest.status, rest.body.body]).toEqual([200, 'final, really']);
      expect((await as(member)('PATCH', `/messages/${sent.id}`, { body: '   ' })).status).toBe(400);
      expect((await as(member)('PATCH', `/messages/${sent.id}`, { body: 'x'.repeat(4001) })).status).toBe(
        400,
      );
      expect((await as(member)('PATCH', `/messages/${sent.id}`, { body: 'x'.repeat(4000) })).status).toBe(
        200,
      );
      expect(
        (await as(member)('PATCH', '/messages/00000000-0000-4000-8000-000000000000', { body: 'x' })).status,
      ).toBe(404);
    });

    it('lets the author, the channel owner, moderators and admins delete; not other members or outsiders', async () => {
      const id = await channel('private');
      const other = await newUser(auth.url, 'oth');
      await as(owner)('POST', `/channels/${id}/members`, { userId: other.id });
      const o = await open(owner);
      const cases: [TestUser, string][] = [
        [other, 'FORBIDDEN'],
        [outsider, 'NOT_FOUND'],
        [member, 'ok'],
        [owner, 'ok'],
        [moderator, 'ok'],
        [admin, 'ok'],
      ];
      for (const [user, outcome] of cases) {
        const sent = await post(member, id, `for ${user.username}`);
        const { socket } = await open(user);
        const ack = await send(socket, 'message:delete', { messageId: sent.id });
        expect({ user: user.username, got: ack.ok ? 'ok' : ack.error.code }).toEqual({
          user: user.username,
          got: outcome,
        });
        if (outcome === 'ok') {
          expect(await o.inbox.next('message:deleted', (e) => e.id === sent.id)).toEqual({
            id: sent.id,
            channelId: id,
            seq: sent.seq,
          });
        }
      }
      const pub = await channel('public');
      const inPublic = await post(member, pub, 'public');
      const { socket } = await open(outsider);
      const ack = await send(socket, 'message:delete', { messageId: inPublic.id });
      expect(!ack.ok && ack.error.code).toBe('FORBIDDEN');
    });

    it('deletes idempotently over REST, erasing the content but not the seq', async () => {
      const id = await channel('public');
      const m = await open(member);
      const sent = await post(owner, id, 'regret');
      expect((await as(owner)('DELETE', `/messages/${sent.id}`)).status).toBe(204);
      expect((await as(owner)('DELETE', `/messages/${sent.id}`)).status).toBe(204);
      await m.inbox.next('message:deleted');
      expect(await m.inbox.during('message:deleted', 100)).toEqual([]);
      expect(
        await sql('SELECT body, deleted_at IS NOT NULL AS gone FROM messages WHERE id = $1', [sent.id]),
      ).toEqual([{ body: '', gone: true }]);
      const edit = await as(owner)('PATCH', `/messages/${sent.id}`, { body: 'undo' });
      expect(edit.status).toBe(404);
    });
  });

  describe('typing', () => {
    it('tells the others, not the typist’s own sockets, and lapses after 5 s without renewal', async () => {
      const id = await channel('private');
      const [typist, typistTab, watcher] = await Promise.all([open(member), open(member), open(owner)]);
      expect(await send(typist.socket, 'typing', { channelId: id, typing: true })).toEqual({ ok: true });
      const started = Date.now();
      expect(await watcher.inbox.next('typing')).toEqual({
        channelId: id,
        userId: member.id,
        username: member.username,
        typing: true,
      });
      await new Promise((r) => setTimeout(r, 2500));
      await send(typist.socket, 'typing', { channelId: id, typing: true });
      const stopped = await watcher.inbox.next('typing', (t) => !t.typing, 12000);
      const elapsed = Date.now() - started;
      expect(stopped).toEqual({ channelId: id, userId: member.id, username: member.username, typing: false });
      // Renewed at 2.5 s, so it lapsed about 5 s after that, not 5 s after the start.
      expect(elapsed).toBeGreaterThanOrEqual(7000);
      expect(elapsed).toBeLessThan(11000);
      expect(watcher.inbox.all('typing')).toHaveLength(2);
      expect(typist.inbox.all('typing')).toEqual([]);
      expect(typistTab.inbox.all('typing')).toEqual([]);
    }, 20000);

    it('ends at once on typing:false, on sending a message, and when the socket goes away', async () => {
      const id = await channel('public');
      const [typist, watcher] = await Promise.all([open(member), open(owner)]);
      const isFalse = (t: { typing: boolean }) => !t.typing;
      await send(typist.socket, 'typing', { channelId: id, typing: true });
      await send(typist.socket, 'typing', { channelId: id, typing: false });
      await watcher.inbox.count('typing', 1, isFalse, 1000);
      await send(typist.socket, 'typing', { channelId: id, typing: true });
      await send(typist.socket, 'message:send', { channelId: id, body: 'done typing' });
      await watcher.inbox.count('typing', 2, isFalse, 1000);
      await send(typist.socket, 'typing', { channelId: id, typing: true });
      await watcher.inbox.count('typing', 3, (t) => t.typing, 1000);
      typist.socket.close();
      await watcher.inbox.count('typing', 3, isFalse, 1000);
      // A typing:false with nothing to stop says nothing.
      const again = await open(member);
      await send(again.socket, 'typing', { channelId: id, typing: false });
      expect(await watcher.inbox.during('typing', 200)).toEqual([]);
    });
  });

  describe('search', () => {
    it('finds words in the caller’s channels only, newest first, without deleted messages', async () => {
      const word = uniqueName('zebra').replace('_', '');
      const mine = await channel('private');
      const theirs = (await as(outsider)('POST', '/channels', { name: uniqueName('x'), kind: 'private' }))
        .body.id;
      const older = await post(owner, mine, `an old ${word} sighting`);
      const newer = await post(member, mine, `a NEW ${word.toUpperCase()} here`);
      const deleted = await post(member, mine, `${word} deleted`);
      await as(member)('DELETE', `/messages/${deleted.id}`);
      await post(outsider, theirs, `${word} secret`);
      const res = await as(member)('GET', `/search?q=${word}`);
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m: { id: string }) => m.id)).toEqual([newer.id, older.id]);
      const scoped = await as(member)('GET', `/search?q=${word}&channelId=${theirs}`);
      expect(scoped.status).toBe(404);
      const phrase = await as(member)(
        'GET',
        `/search?q=${encodeURIComponent(`"old ${word}"`)}&channelId=${mine}`,
      );
      expect(phrase.body.messages.map((m: { id: string }) => m.id)).toEqual([older.id]);
      expect((await as(outsider)('GET', `/search?q=${word}`)).body.messages).toHaveLength(1);
      expect((await as(member)('GET', '/search?q=')).status).toBe(400);
      expect((await as(member)('GET', `/search?q=${encodeURIComponent('& | ! :* (')}`)).status).toBe(200);
    });

    it('returns at most 50 results', async () => {
      const word = uniqueName('many').replace('_', '');
      const id = await channel('public');
      for (let i = 0; i < 55; i++) await post(owner, id, `${word} ${i}`);
      const res = await as(owner)('GET', `/search?q=${word}`);
      expect(res.body.messages).toHaveLength(50);
      expect(res.body.messages[0].body).toBe(`${word} 54`);
    });
  });
});
