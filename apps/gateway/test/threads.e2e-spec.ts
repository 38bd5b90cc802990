import { startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  send,
  sendRaw,
  sql,
  startGateway,
  uploadedFile,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { twoReplicas } from '../../../test/support/replicas';

const MISSING = '00000000-0000-4000-8000-000000000000';

/**
 * Threads, per-thread read state and mentions (issue #16) on two gateway replicas sharing one
 * Redis and one Postgres: what one user does through replica A, another sees through replica B.
 */
describeWithRedis('threads, thread read state and mentions (two replicas)', () => {
  const {
    a,
    b,
    users: { alice, bob, carol, dave },
    open,
    channel,
    post,
  } = twoReplicas({ users: ['alice', 'bob', 'carol', 'dave'] });
  const on = (replica: Running, user: TestUser) => api(replica.url, user);
  const channelOf = async (replica: Running, user: TestUser, channelId: string) =>
    (await on(replica, user)('GET', `/channels/${channelId}`)).body;
  const mentionCount = async (user: TestUser, channelId: string) =>
    (await channelOf(b, user, channelId)).mentionCount as number;

  describe('replies', () => {
    it('a reply takes the next seq, is pushed as message:new, and the root is pushed with its count on the other replica', async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      expect(root).toMatchObject({ threadId: null, replyCount: 0, lastReplyAt: null });
      const onB = await open(b, bob);
      const onA = await open(a, alice);
      const ack = await send(onA.socket, 'message:send', {
        channelId: id,
        body: 'first reply',
        threadId: root.id,
      });
      expect(ack.ok).toBe(true);
      const reply = ack.message;
      expect(reply).toMatchObject({ threadId: root.id, seq: root.seq + 1, replyCount: 0 });
      expect(await onB.inbox.next('message:new', (m) => m.id === reply.id)).toEqual(reply);
      const updated = await onB.inbox.next('message:updated', (m) => m.id === root.id);
      expect(updated).toMatchObject({
        id: root.id,
        replyCount: 1,
        lastReplyAt: reply.createdAt,
        body: 'root',
      });
      // Catch-up covers replies like any message.
      const sync = await send(onB.socket, 'channel:sync', { channelId: id, afterSeq: root.seq });
      expect(sync.ok && sync.messages.map((m: any) => [m.id, m.threadId])).toEqual([[reply.id, root.id]]);
    });

    it("a client that was away learns the root's new count from channel:sync changedSince", async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      const away = await open(a, alice);
      const first = await send(away.socket, 'channel:sync', { channelId: id, afterSeq: 0 });
      expect(first.ok).toBe(true);
      away.socket.close();
      const reply = await post(b, bob, id, 'while you were away', { threadId: root.id });
      const back = await open(b, alice);
      const sync = await send(back.socket, 'channel:sync', {
        channelId: id,
        afterSeq: root.seq,
        changedSince: first.syncedAt,
      });
      expect(sync.ok && sync.messages.map((m: any) => m.id)).toEqual([reply.id]);
      expect(sync.ok && sync.changes.find((m: any) => m.id === root.id)).toMatchObject({
        replyCount: 1,
        lastReplyAt: reply.createdAt,
      });
    });

    it('a reply to a reply goes to the root, over REST and with attachments too', async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      const first = await post(b, bob, id, 'reply', { threadId: root.id });
      const second = await post(a, alice, id, 'reply to the reply', { threadId: first.id });
      expect(second.threadId).toBe(root.id);
      const file = await uploadedFile(id, bob.id);
      const third = await post(b, bob, id, 'with a file', { threadId: first.id, attachmentIds: [file] });
      expect(third).toMatchObject({ threadId: root.id, seq: root.seq + 3 });
      expect(third.attachments.map((f: any) => f.id)).toEqual([file]);
      const page = await on(b, bob)('GET', `/channels/${id}/messages`);
      expect(page.body.messages.find((m: any) => m.id === root.id)).toMatchObject({
        replyCount: 3,
        lastReplyAt: third.createdAt,
      });
    });

    it('refuses replies to a deleted root, another channel, a missing message, and bad ids, on both paths', async () => {
      const id = await channel('private', bob);
      const other = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      const elsewhere = await post(a, alice, other, 'elsewhere');
      const gone = await post(a, alice, id, 'to be deleted');
      const reply = await post(a, bob, id, 'reply', { threadId: gone.id });
      expect((await on(a, alice)('DELETE', `/messages/${gone.id}`)).status).toBe(204);
      const file = await uploadedFile(id, bob.id);
      for (const threadId of [gone.id, reply.id, elsewhere.id, MISSING]) {
        for (const extra of [{}, { attachmentIds: [file] }]) {
          const res = await on(b, bob)('POST', `/channels/${id}/messages`, { body: 'x', threadId, ...extra });
          expect([threadId, res.status, res.body.code]).toEqual([threadId, 404, 'NOT_FOUND']);
        }
      }
      const bad = await on(b, bob)('POST', `/channels/${id}/messages`, { body: 'x', threadId: 'not-a-uuid' });
      expect([bad.status, bad.body.code]).toEqual([400, 'VALIDATION']);
      const { socket } = await open(b, bob);
      const acks = await Promise.all([
        send(socket, 'message:send', { channelId: id, body: 'x', threadId: gone.id }),
        send(socket, 'message:send', { channelId: id, body: 'x', threadId: elsewhere.id }),
        sendRaw(socket, 'message:send', [{ channelId: id, body: 'x', threadId: 42 }]),
      ]);
      expect(acks.map((x) => x.ok || x.error.code)).toEqual(['NOT_FOUND', 'NOT_FOUND', 'VALIDATION']);
      // Nothing was stored: the next message takes the next seq, and the root has no replies.
      const next = await post(b, bob, id, 'after the refusals');
      expect(next.seq).toBe(reply.seq + 1);
      expect((await on(a, alice)('GET', `/messages/${root.id}/replies`)).body.messages).toEqual([]);
      // The file was not used by a refused send.
      expect((await post(b, bob, id, 'file', { attachmentIds: [file] })).attachments).toHaveLength(1);
    });

    it('a retried reply answers the original even after its root was deleted', async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      const clientId = `retry-${root.id}`;
      const first = await post(a, bob, id, 'reply', { threadId: root.id, clientId });
      expect((await on(a, alice)('DELETE', `/messages/${root.id}`)).status).toBe(204);
      const { socket } = await open(b, bob);
      const again = await send(socket, 'message:send', {
        channelId: id,
        body: 'reply',
        threadId: root.id,
        clientId,
      });
      expect(again).toEqual({ ok: true, message: first });
      const fresh = await on(b, bob)('POST', `/channels/${id}/messages`, {
        body: 'new',
        threadId: root.id,
        clientId: `${clientId}-2`,
      });
      expect(fresh.status).toBe(404);
    });

    it('refuses non-members as a send without threadId would', async () => {
      const priv = await channel('private', bob);
      const pub = await channel('public');
      const privRoot = await post(a, alice, priv, 'root');
      const pubRoot = await post(a, alice, pub, 'root');
      const r1 = await on(b, dave)('POST', `/channels/${priv}/messages`, {
        body: 'x',
        threadId: privRoot.id,
      });
      const r2 = await on(b, dave)('POST', `/channels/${pub}/messages`, { body: 'x', threadId: pubRoot.id });
      const r3 = await on(b, dave)('POST', `/channels/${pub}/messages`, { body: 'x', threadId: MISSING });
      expect([r1.status, r2.status, r3.status]).toEqual([404, 403, 403]);
    });

    it('lists replies ascending without the root, pages forward, and keeps deleted replies as tombstones', async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'root');
      const replies: any[] = [];
      for (let i = 0; i < 5; i++) {
        replies.push(await post(i % 2 ? a : b, i % 2 ? alice : bob, id, `r${i}`, { threadId: root.id }));
        await post(a, alice, id, `top ${i}`);
      }
      expect((await on(a, alice)('DELETE', `/messages/${replies[1].id}`)).status).toBe(204);
      const first = await on(b, bob)('GET', `/messages/${root.id}/replies?limit=3`);
      expect(first.status).toBe(200);
      expect(first.body.hasMore).toBe(true);
      expect(first.body.messages.map((m: any) => [m.body, m.deleted])).toEqual([
        ['r0', false],
        ['', true],
        ['r2', false],
      ]);
      // By a reply's id too, from where the last page ended.
      const rest = await on(a, alice)(
        'GET',
        `/messages/${replies[0].id}/replies?after=${replies[2].seq}&limit=3`,
      );
      expect(rest.body).toEqual({
        messages: [replies[3], replies[4]].map((r) => ({ ...r, clientId: null })),
        hasMore: false,
      });
      // The count never goes down: a deleted reply stays in the thread.
      const page = await on(b, bob)('GET', `/channels/${id}/messages?roots=1`);
      expect(page.body.messages.map((m: any) => m.body)).toEqual([
        'root',
        'top 0',
        'top 1',
        'top 2',
        'top 3',
        'top 4',
      ]);
      expect(page.body.messages[0].replyCount).toBe(5);
      const all = await on(b, bob)('GET', `/channels/${id}/messages?roots=0`);
      expect(all.body.messages).toHaveLength(11);
      const older = await on(b, bob)(
        'GET',
        `/channels/${id}/messages?roots=true&limit=2&before=${replies[2].seq}`,
      );
      expect(older.body.messages.map((m: any) => m.body)).toEqual(['top 0', 'top 1']);
    });

    it('refuses the replies of a thread to non-members and malformed queries', async () => {
      const priv = await channel('private', bob);
      const pub = await channel('public');
      const privRoot = await post(a, alice, priv, 'root');
      const pubRoot = await post(a, alice, pub, 'root');
      const get = (path: string) => on(b, dave)('GET', path);
      expect((await get(`/messages/${privRoot.id}/replies`)).status).toBe(404);
      expect((await get(`/messages/${pubRoot.id}/replies`)).status).toBe(403);
      expect((await get(`/messages/${MISSING}/replies`)).status).toBe(404);
      expect((await get(`/messages/not-a-uuid/replies`)).status).toBe(404);
      for (const q of ['limit=0', 'limit=101', 'after=-1', 'after=x', 'extra=1'])
        expect((await on(a, alice)('GET', `/messages/${privRoot.id}/replies?${q}`)).status).toBe(400);
      expect((await on(a, alice)('GET', `/channels/${priv}/messages?roots=maybe`)).status).toBe(400);
    });

    it('counts concurrent replies through both replicas exactly, and no socket sees a count go down', async () => {
      const id = await channel('private', bob, carol);
      const root = await post(a, alice, id, 'busy root');
      const watchers = await Promise.all([open(a, carol), open(b, carol)]);
      const senders = await Promise.all([open(a, alice), open(b, bob)]);
      const N = 40;
      const acks = await Promise.all(
        Array.from({ length: N }, (_, i) => {
          const sender = senders[i % 2].socket;
          if (i % 4 === 3)
            return post(i % 2 ? b : a, i % 2 ? bob : alice, id, `rest ${i}`, { threadId: root.id }).then(
              (message) => ({ ok: true, message }),
            );
          return send(sender, 'message:send', { channelId: id, body: `socket ${i}`, threadId: root.id });
        }),
      );
      expect(acks.every((x) => x.ok)).toBe(true);
      const seqs = acks.map((x: any) => x.message.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(Array.from({ length: N }, (_, i) => root.seq + 1 + i));
      const newest = acks.map((x: any) => x.message).reduce((x, y) => (x.seq > y.seq ? x : y));
      for (const w of watchers) {
        await w.inbox.next('message:updated', (m) => m.id === root.id && m.replyCount === N, 10_000);
        const counts = w.inbox.all('message:updated', (m) => m.id === root.id).map((m) => m.replyCount);
        expect(counts).toEqual([...counts].sort((x, y) => x - y));
        expect(w.inbox.all('message:updated', (m) => m.replyCount === N)[0].lastReplyAt).toBe(
          newest.createdAt,
        );
      }
      const [row] = await sql('SELECT reply_count FROM messages WHERE id = $1', [root.id]);
      expect(row.reply_count).toBe(N);
    });

    it('searches within a thread', async () => {
      const id = await channel('private', bob);
      const root = await post(a, alice, id, 'zebra root');
      const other = await post(a, alice, id, 'zebra other root');
      const inThread = await post(b, bob, id, 'zebra in the thread', { threadId: root.id });
      await post(b, bob, id, 'zebra elsewhere', { threadId: other.id });
      const res = await on(b, bob)('GET', `/search?q=zebra&threadId=${root.id}`);
      expect(res.status).toBe(200);
      expect(res.body.messages.map((m: any) => m.id)).toEqual([inThread.id]);
      const only = await on(b, bob)('GET', `/search?threadId=${root.id}`);
      expect(only.body.messages.map((m: any) => m.id)).toEqual([inThread.id]);
      expect((await on(b, bob)('GET', `/search?q=zebra&threadId=nope`)).status).toBe(400);
      expect((await on(b, dave)('GET', `/search?q=zebra&threadId=${root.id}`)).body.messages).toEqual([]);
    });
  });

  describe('thread read state', () => {
    it("lists followed threads with unread replies, and a read on one replica updates the user's other tabs", async () => {
      const id = await channel('private', bob, carol, dave);
      const root = await post(a, alice, id, 'a question');
      const quiet = await post(a, alice, id, 'nobody answers');
      const r1 = await post(b, bob, id, 'an answer', { threadId: root.id });
      const r2 = await post(b, bob, id, `and @${carol.username} knows more`, { threadId: root.id });
      const threads = async (user: TestUser, q = '') =>
        (await on(b, user)('GET', `/users/me/threads${q}`)).body;
      const mine = await threads(alice);
      const entry = mine.threads.find((t: any) => t.root.id === root.id);
      expect(entry).toMatchObject({ unreadReplies: 2, lastReplyAt: r2.createdAt, root: { replyCount: 2 } });
      expect(mine.threads.some((t: any) => t.root.id === quiet.id)).toBe(false);
      expect(mine.unreadThreads).toBeGreaterThanOrEqual(1);
      // The replier has read their own replies; the mentioned member follows with both unread;
      // a member who neither wrote nor was mentioned does not follow.
      expect((await threads(bob)).threads.find((t: any) => t.root.id === root.id).unreadReplies).toBe(0);
      expect((await threads(carol)).threads.find((t: any) => t.root.id === root.id).unreadReplies).toBe(2);
      expect((await threads(dave)).threads.some((t: any) => t.root.id === root.id)).toBe(false);

      const otherTab = await open(a, alice);
      const before = mine.unreadThreads;
      const read = await on(b, alice)('POST', `/messages/${root.id}/read`, { seq: r1.seq });
      expect(read.status).toBe(204);
      expect(await otherTab.inbox.next('thread:updated')).toEqual({
        threadId: root.id,
        channelId: id,
        lastReadSeq: r1.seq,
        unreadReplies: 1,
        unreadThreads: before,
      });
      // The socket command, by a reply's id, capped at the newest reply.
      const ack = await send(otherTab.socket, 'thread:read', { threadId: r1.id, seq: r2.seq + 100 });
      expect(ack).toEqual({ ok: true });
      const second = await otherTab.inbox.next('thread:updated', (e) => e.lastReadSeq === r2.seq);
      expect(second).toMatchObject({ unreadReplies: 0, unreadThreads: before - 1 });
      expect((await threads(alice)).threads.find((t: any) => t.root.id === root.id).unreadReplies).toBe(0);
      // Backwards is a no-op, with no push.
      await on(b, alice)('POST', `/messages/${root.id}/read`, { seq: 1 });
      expect(await otherTab.inbox.during('thread:updated', 300)).toEqual([]);
      // A new reply by someone else is unread again; the author's own is not.
      await post(a, alice, id, 'thanks', { threadId: root.id });
      await post(a, carol, id, 'you are welcome', { threadId: root.id });
      expect((await threads(alice)).threads[0]).toMatchObject({ root: { id: root.id }, unreadReplies: 1 });
    });

    it('pages the thread list newest first with the next cursor', async () => {
      const id = await channel('private', bob);
      const roots: string[] = [];
      for (let i = 0; i < 5; i++) {
        const root = await post(a, alice, id, `thread ${i}`);
        await post(b, bob, id, `reply ${i}`, { threadId: root.id });
        roots.push(root.id);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `?limit=2&before=${encodeURIComponent(cursor)}` : '?limit=2';
        const res = await on(a, bob)('GET', `/users/me/threads${q}`);
        expect(res.status).toBe(200);
        expect(res.body.threads.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.threads.map((t: any) => t.root.id));
        cursor = res.body.next;
        expect(res.body.hasMore).toBe(cursor !== null);
      } while (cursor);
      const ours = seen.filter((x) => roots.includes(x));
      expect(ours).toEqual([...roots].reverse());
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('refuses reads by non-members and malformed input, and stores nothing for unfollowed threads', async () => {
      const priv = await channel('private', bob);
      const pub = await channel('public', bob);
      const privRoot = await post(a, alice, priv, 'root');
      const pubRoot = await post(a, alice, pub, 'root');
      const reply = await post(b, bob, pub, 'reply', { threadId: pubRoot.id });
      expect((await on(b, dave)('POST', `/messages/${privRoot.id}/read`, { seq: 1 })).status).toBe(404);
      expect((await on(b, dave)('POST', `/messages/${pubRoot.id}/read`, { seq: 1 })).status).toBe(403);
      expect((await on(b, alice)('POST', `/messages/${MISSING}/read`, { seq: 1 })).status).toBe(404);
      for (const body of [{ seq: -1 }, { seq: 'x' }, {}, { seq: 1, extra: true }, { seq: 2 ** 60 }])
        expect((await on(b, alice)('POST', `/messages/${pubRoot.id}/read`, body)).status).toBe(400);
      for (const q of ['limit=0', 'limit=51', 'before=garbage', `before=1_${MISSING}x`])
        expect((await on(b, alice)('GET', `/users/me/threads?${q}`)).status).toBe(400);
      const { socket, inbox } = await open(a, dave);
      const acks = await Promise.all([
        send(socket, 'thread:read', { threadId: privRoot.id, seq: 1 }),
        send(socket, 'thread:read', { threadId: pubRoot.id, seq: 1 }),
        sendRaw(socket, 'thread:read', [{ threadId: 'nope', seq: 1 }]),
        sendRaw(socket, 'thread:read', [{ threadId: pubRoot.id, seq: 1, more: 1 }]),
      ]);
      expect(acks.map((x) => x.ok || x.error.code)).toEqual([
        'NOT_FOUND',
        'FORBIDDEN',
        'VALIDATION',
        'VALIDATION',
      ]);
      // A member who does not follow the thread: success, nothing stored, nothing pushed.
      await on(a, alice)('POST', `/channels/${pub}/join`);
      await on(a, dave)('POST', `/channels/${pub}/join`);
      const ack = await send(socket, 'thread:read', { threadId: pubRoot.id, seq: reply.seq });
      expect(ack).toEqual({ ok: true });
      expect(await inbox.during('thread:updated', 300)).toEqual([]);
      expect(await sql('SELECT 1 FROM thread_follows WHERE user_id = $1', [dave.id])).toEqual([]);
    });
  });

  describe('mentions', () => {
    it('parses mentions of members at send, counts them per caller, and ignores code, emails and non-members', async () => {
      const id = await channel('private', bob, carol);
      const body =
        `hi @${bob.username.toUpperCase()}, see \`@${carol.username}\` and\n` +
        `\`\`\`\n@${carol.username}\n\`\`\`\nmail ${carol.username}@example.com, @${dave.username}!`;
      const onB = await open(b, bob);
      const sent = await send((await open(a, alice)).socket, 'message:send', { channelId: id, body });
      expect(sent.ok && sent.message.mentions).toEqual({ userIds: [bob.id], channel: false });
      expect((await onB.inbox.next('message:new')).mentions).toEqual({ userIds: [bob.id], channel: false });
      expect(await mentionCount(bob, id)).toBe(1);
      expect(await mentionCount(carol, id)).toBe(0);
      const everyone = await post(b, bob, id, `@here. and @${bob.username}`);
      expect(everyone.mentions).toEqual({ userIds: [bob.id], channel: true });
      expect(await mentionCount(alice, id)).toBe(1);
      expect(await mentionCount(carol, id)).toBe(1);
      // Own messages never count.
      expect(await mentionCount(bob, id)).toBe(1);
      // Reading clears them.
      const { socket } = await open(b, carol);
      expect((await send(socket, 'channel:read', { channelId: id, seq: everyone.seq })).ok).toBe(true);
      expect(await mentionCount(carol, id)).toBe(0);
      const list = (await on(a, bob)('GET', '/channels')).body.find((c: any) => c.id === id);
      expect(list).toMatchObject({ mentionCount: 1, unreadCount: 1 });
    });

    it('an edit that adds a mention counts it, one that removes it uncounts it; a deletion uncounts', async () => {
      const id = await channel('private', bob, carol);
      const m = await post(a, alice, id, 'no mentions yet');
      expect(m.mentions).toEqual({ userIds: [], channel: false });
      const edit = async (body: string) => {
        const res = await on(b, alice)('PATCH', `/messages/${m.id}`, { body });
        expect(res.status).toBe(200);
        return res.body;
      };
      expect((await edit(`now @${bob.username}`)).mentions).toEqual({ userIds: [bob.id], channel: false });
      expect([await mentionCount(bob, id), await mentionCount(carol, id)]).toEqual([1, 0]);
      const { socket, inbox } = await open(a, carol);
      expect((await edit(`@channel but not \`@${bob.username}\``)).mentions).toEqual({
        userIds: [],
        channel: true,
      });
      expect(
        (await inbox.next('message:updated', (x) => x.id === m.id && x.mentions.channel)).mentions,
      ).toEqual({
        userIds: [],
        channel: true,
      });
      expect([await mentionCount(bob, id), await mentionCount(carol, id)]).toEqual([1, 1]);
      await edit('nothing');
      expect([await mentionCount(bob, id), await mentionCount(carol, id)]).toEqual([0, 0]);
      await edit(`@${carol.username}`);
      expect(await mentionCount(carol, id)).toBe(1);
      const del = await send(socket, 'message:delete', { messageId: m.id });
      expect(del.ok).toBe(false); // carol may not delete alice's message
      expect((await on(a, alice)('DELETE', `/messages/${m.id}`)).status).toBe(204);
      expect(await mentionCount(carol, id)).toBe(0);
    });

    it('a mention in a reply counts in the channel and makes the member follow the thread', async () => {
      const id = await channel('private', bob, carol);
      const root = await post(a, alice, id, 'root');
      await post(b, bob, id, `@${carol.username} look`, { threadId: root.id });
      expect(await mentionCount(carol, id)).toBe(1);
      const carolThreads = (await on(a, carol)('GET', '/users/me/threads')).body;
      expect(carolThreads.threads.find((t: any) => t.root.id === root.id)).toMatchObject({
        unreadReplies: 1,
      });
    });

    it('answers hostile bodies quickly and correctly, and keeps answering', async () => {
      const id = await channel('private', bob);
      const bodies = [
        '`'.repeat(4000),
        '@'.repeat(4000),
        `@${bob.username} `.repeat(Math.floor(4000 / (bob.username.length + 2))),
        Array.from({ length: 88 }, (_, i) => '`'.repeat(i + 1)).join('@x'),
        '```\n@a\n'.repeat(500),
        `@${'a'.repeat(3999)}`,
      ];
      for (const body of bodies) {
        const res = await on(a, alice)('POST', `/channels/${id}/messages`, { body: body.slice(0, 4000) });
        expect(res.status).toBe(201);
      }
      const flood = (await on(a, alice)('GET', `/channels/${id}/messages?limit=6`)).body.messages[2];
      expect(flood.mentions).toEqual({ userIds: [bob.id], channel: false });
      expect(await mentionCount(bob, id)).toBe(1);
    });
  });
});

/** Single-process mode (no Redis): the root's pushes go through the in-memory gate. */
describe('threads on a single gateway without Redis', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    gw = await startGateway(auth, { REDIS_URL: '' });
    [alice, bob] = await Promise.all([newUser(auth.url, 'alice'), newUser(auth.url, 'bob')]);
  });

  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await gw?.close();
    await auth?.close();
    await closeSql();
  });

  it('counts concurrent replies exactly and never pushes a lower count after a higher one', async () => {
    const as = (user: TestUser) => api(gw.url, user);
    const id = (await as(alice)('POST', '/channels', { name: uniqueName('t'), kind: 'private' })).body.id;
    await as(alice)('POST', `/channels/${id}/members`, { userId: bob.id });
    const root = (await as(alice)('POST', `/channels/${id}/messages`, { body: 'root' })).body;
    const watcher = await connect(gw.url, bob.token);
    sockets.push(watcher);
    const inbox = new Inbox(watcher);
    const N = 30;
    const sent = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        as(i % 2 ? bob : alice)('POST', `/channels/${id}/messages`, { body: `r${i}`, threadId: root.id }),
      ),
    );
    expect(sent.every((r) => r.status === 201)).toBe(true);
    await inbox.next('message:updated', (m) => m.id === root.id && m.replyCount === N);
    const counts = inbox.all('message:updated', (m) => m.id === root.id).map((m) => m.replyCount);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
    const replies = await as(bob)('GET', `/messages/${root.id}/replies?limit=100`);
    expect(replies.body.messages).toHaveLength(N);
  });
});
