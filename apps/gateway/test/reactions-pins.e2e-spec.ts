import { type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import { api, newUser, send, sendRaw, type TestUser } from '../../../test/support/gateway';
import { twoReplicas } from '../../../test/support/replicas';

/**
 * Reactions and pins (issue #16) on two gateway replicas sharing Redis and Postgres: what one user
 * does through one replica is stored once and pushed to the channel's sockets on the other.
 */
describeWithRedis('reactions and pins (two replicas)', () => {
  const {
    auth,
    a,
    b,
    admin,
    users: { alice, bob, carol },
    open,
    channel,
    post: postOn,
  } = twoReplicas({ users: ['alice', 'bob', 'carol'], admin: true });
  const post = (user: TestUser, channelId: string, body: string) => postOn(a, user, channelId, body);
  const react = (replica: Running, user: TestUser, messageId: string, emoji: string, method = 'PUT') =>
    api(replica.url, user)(method, `/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  const reactionsOf = async (channelId: string, messageId: string) => {
    const res = await api(a.url, alice)('GET', `/channels/${channelId}/messages`);
    return res.body.messages.find((m: any) => m.id === messageId).reactions;
  };

  describe('reactions', () => {
    it('pushes message:reactions to the other replica in order of first use, idempotently', async () => {
      const id = await channel('private', bob);
      const msg = await post(alice, id, 'react to me');
      const [onA, onB] = await Promise.all([open(a, alice), open(b, bob)]);

      expect(await send(onB.socket, 'reaction:add', { messageId: msg.id, emoji: '👍' })).toEqual({
        ok: true,
      });
      expect(await onA.inbox.next('message:reactions')).toEqual({
        messageId: msg.id,
        channelId: id,
        reactions: [{ emoji: '👍', userIds: [bob.id] }],
      });
      expect((await react(a, alice, msg.id, ':tada:')).status).toBe(204);
      expect((await react(a, alice, msg.id, '👍')).status).toBe(204);
      const pushes = await onB.inbox.count('message:reactions', 3);
      expect(pushes[2].reactions).toEqual([
        { emoji: '👍', userIds: [bob.id, alice.id] },
        { emoji: ':tada:', userIds: [alice.id] },
      ]);

      // Adding again is a no-op: no push, nothing stored twice.
      expect(await send(onB.socket, 'reaction:add', { messageId: msg.id, emoji: '👍' })).toEqual({
        ok: true,
      });
      expect((await react(b, alice, msg.id, ':tada:')).status).toBe(204);
      expect(await onA.inbox.during('message:reactions', 300)).toHaveLength(0);
      expect(await reactionsOf(id, msg.id)).toEqual(pushes[2].reactions);

      // Removing pushes; removing again is a no-op.
      expect(await send(onA.socket, 'reaction:remove', { messageId: msg.id, emoji: '👍' })).toEqual({
        ok: true,
      });
      expect((await onB.inbox.count('message:reactions', 4))[3].reactions).toEqual([
        { emoji: '👍', userIds: [bob.id] },
        { emoji: ':tada:', userIds: [alice.id] },
      ]);
      expect((await react(b, alice, msg.id, '👍', 'DELETE')).status).toBe(204);
      expect((await react(b, alice, msg.id, ':tada:', 'DELETE')).status).toBe(204);
      expect((await onB.inbox.count('message:reactions', 5))[4].reactions).toEqual([
        { emoji: '👍', userIds: [bob.id] },
      ]);
      expect(await onB.inbox.during('message:reactions', 300)).toHaveLength(0);
    });

    it('accepts emoji as pickers send them: ZWJ sequences, skin tones, flags, keycaps, tags, short names', async () => {
      const id = await channel('public');
      const msg = await post(alice, id, 'many kinds');
      const kinds = ['❤️', '👍🏽', '🏳️‍🌈', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '🧑🏽‍💻', '©️', ':+1:', ':white_check_mark:'];
      for (const emoji of kinds)
        expect([emoji, (await react(b, alice, msg.id, emoji)).status]).toEqual([emoji, 204]);
      expect((await reactionsOf(id, msg.id)).map((r: any) => r.emoji)).toEqual(kinds);
    });

    it('refuses anything that is not one emoji, over the socket and REST, and keeps answering', async () => {
      const id = await channel('public');
      const msg = await post(alice, id, 'hostile');
      const { socket } = await open(a, alice);
      const hostile = [
        'a',
        '1',
        ' ',
        '',
        '\u0000',
        '👍\u0000',
        '👍👍',
        '👍 ',
        '\u202E👍',
        '\u200D',
        '🏽',
        'e\u0301',
        '👍' + '\u0301'.repeat(5000),
        '\uD83D',
        '\uDC4D\uD83D',
        ':Smile:',
        '::',
        `:${'a'.repeat(33)}:`,
        '🧑🏻‍❤️‍💋‍🧑🏼', // one grapheme, but 35 bytes
        'x'.repeat(60_000), // just under the socket's frame limit (SOCKET_MAX_PAYLOAD_BYTES, 64 KiB)
      ];
      for (const emoji of hostile) {
        const ack = await send(socket, 'reaction:add', { messageId: msg.id, emoji });
        expect([emoji.slice(0, 20), ack.ok, !ack.ok && ack.error.code]).toEqual([
          emoji.slice(0, 20),
          false,
          'VALIDATION',
        ]);
      }
      for (const payload of [
        { messageId: msg.id },
        { messageId: msg.id, emoji: 5 },
        { messageId: 'x', emoji: '👍' },
        [msg.id, '👍'],
        null,
      ]) {
        const ack = await sendRaw(socket, 'reaction:remove', [payload]);
        expect(ack.error.code).toBe('VALIDATION');
      }
      expect(
        (await sendRaw(socket, 'reaction:add', [{ messageId: msg.id, emoji: '👍', extra: 1 }])).error.code,
      ).toBe('VALIDATION');

      const paths = [
        'a',
        '%00',
        '%ZZ',
        '%F0%9F',
        '%E2%80%AE%F0%9F%91%8D',
        '%F0%9F%91%8D%F0%9F%91%8D',
        '%ED%A0%BD',
        `${'%CC%81'.repeat(2000)}`,
        '%3Asmile%3A%2F',
      ];
      for (const raw of paths) {
        const res = await api(b.url, alice)('PUT', `/messages/${msg.id}/reactions/${raw}`);
        expect([raw.slice(0, 20), res.status, res.body?.code]).toEqual([raw.slice(0, 20), 400, 'VALIDATION']);
        expect(res.body).toEqual({
          statusCode: 400,
          code: 'VALIDATION',
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
      expect(await reactionsOf(id, msg.id)).toEqual([]);
      expect(await send(socket, 'reaction:add', { messageId: msg.id, emoji: '👍' })).toEqual({ ok: true });
    });

    it('counts 👍 with and without a redundant variation selector as one reaction', async () => {
      const id = await channel('public');
      await api(b.url, bob)('POST', `/channels/${id}/join`);
      const msg = await post(alice, id, 'same thumb');
      expect((await react(a, alice, msg.id, '👍\uFE0F')).status).toBe(204);
      expect((await react(b, bob, msg.id, '👍')).status).toBe(204);
      expect(await reactionsOf(id, msg.id)).toEqual([{ emoji: '👍', userIds: [alice.id, bob.id] }]);
      expect((await react(b, bob, msg.id, '👍\uFE0F', 'DELETE')).status).toBe(204);
      expect(await reactionsOf(id, msg.id)).toEqual([{ emoji: '👍', userIds: [alice.id] }]);
    });

    it('allows 20 different emoji per message: the 21st is CONFLICT, existing ones can still be added', async () => {
      const id = await channel('public');
      await api(b.url, bob)('POST', `/channels/${id}/join`);
      const msg = await post(alice, id, 'full');
      const emoji = Array.from({ length: 20 }, (_, i) => `:e${i}:`);
      for (const e of emoji) expect((await react(a, alice, msg.id, e)).status).toBe(204);
      const over = await react(b, bob, msg.id, ':e20:');
      expect([over.status, over.body.code]).toEqual([409, 'CONFLICT']);
      const { socket } = await open(b, bob);
      const ack = await send(socket, 'reaction:add', { messageId: msg.id, emoji: '🎉' });
      expect(!ack.ok && ack.error.code).toBe('CONFLICT');
      expect((await react(b, bob, msg.id, ':e7:')).status).toBe(204);
      const reactions = await reactionsOf(id, msg.id);
      expect(reactions.map((r: any) => r.emoji)).toEqual(emoji);
      expect(reactions[7].userIds).toEqual([alice.id, bob.id]);
    });

    it('counts every reaction of many users racing on two replicas, and holds the cap under the race', async () => {
      const id = await channel('public');
      const users = await Promise.all(Array.from({ length: 24 }, () => newUser(auth.url, 'r')));
      await Promise.all(users.map((u) => api(a.url, u)('POST', `/channels/${id}/join`)));
      const msg = await post(alice, id, 'race');
      expect((await react(a, alice, msg.id, '👍')).status).toBe(204);
      const watcher = await open(b, alice);
      const conns = await Promise.all(users.map((u, i) => open(i % 2 ? a : b, u)));

      const acks = await Promise.all(
        conns.flatMap(({ socket }, i) => [
          send(socket, 'reaction:add', { messageId: msg.id, emoji: '👍' }),
          send(socket, 'reaction:add', { messageId: msg.id, emoji: `:race${i}:` }),
        ]),
      );
      const thumbs = acks.filter((_, i) => i % 2 === 0);
      const distinct = acks.filter((_, i) => i % 2 === 1);
      expect(thumbs.every((x) => x.ok)).toBe(true);
      expect(distinct.filter((x) => x.ok)).toHaveLength(19);
      expect(distinct.filter((x) => !x.ok).map((x) => x.error.code)).toEqual(Array(5).fill('CONFLICT'));

      const reactions = await reactionsOf(id, msg.id);
      expect(reactions).toHaveLength(20);
      expect(reactions[0].emoji).toBe('👍');
      expect([...reactions[0].userIds].sort()).toEqual([alice.id, ...users.map((u) => u.id)].sort());
      // The pushes raced across two replicas, but the socket on the other replica never got an
      // older list after a newer one, and the last one it got is the stored state.
      const reacted = (list: { userIds: string[] }[]) => list.reduce((n, r) => n + r.userIds.length, 0);
      const last = await watcher.inbox.next(
        'message:reactions',
        (p) => reacted(p.reactions) === reacted(reactions),
      );
      expect(last.reactions).toEqual(reactions);
      const pushes = watcher.inbox.all('message:reactions');
      expect(pushes.every((p) => p.messageId === msg.id && p.channelId === id)).toBe(true);
      const sizes = pushes.map((p) => reacted(p.reactions));
      expect(sizes).toEqual([...sizes].sort((x, y) => x - y));
      expect(await watcher.inbox.during('message:reactions', 300)).toEqual([]);
    });

    it('is for members only; a deleted or unknown message is NOT_FOUND', async () => {
      const priv = await channel('private', bob);
      const pub = await channel('public');
      const inPriv = await post(alice, priv, 'private');
      const inPub = await post(alice, pub, 'public');
      const { socket } = await open(b, carol);

      for (const [messageId, code] of [
        [inPriv.id, 'NOT_FOUND'],
        [inPub.id, 'FORBIDDEN'],
        ['00000000-0000-4000-8000-000000000000', 'NOT_FOUND'],
      ]) {
        const ack = await send(socket, 'reaction:add', { messageId, emoji: '👍' });
        expect(!ack.ok && ack.error.code).toBe(code);
        const res = await react(a, carol, messageId, '👍');
        expect(res.body.code).toBe(code);
        expect((await react(a, carol, messageId, '👍', 'DELETE')).body.code).toBe(code);
      }
      expect((await api(a.url, alice)('PUT', '/messages/not-a-uuid/reactions/%F0%9F%91%8D')).status).toBe(
        404,
      );

      expect((await react(a, bob, inPriv.id, '👍')).status).toBe(204);
      expect((await api(a.url, alice)('DELETE', `/messages/${inPriv.id}`)).status).toBe(204);
      expect((await react(b, bob, inPriv.id, '🎉')).body.code).toBe('NOT_FOUND');
      expect((await react(b, bob, inPriv.id, '👍', 'DELETE')).body.code).toBe('NOT_FOUND');
      const history = await api(a.url, alice)('GET', `/channels/${priv}/messages`);
      expect(history.body.messages.find((m: any) => m.id === inPriv.id)).toMatchObject({
        deleted: true,
        reactions: [],
      });
    });
  });

  describe('pins', () => {
    const pins = (replica: Running, user: TestUser, channelId: string) =>
      api(replica.url, user)('GET', `/channels/${channelId}/pins`);
    const pin = (replica: Running, user: TestUser, channelId: string, messageId: string) =>
      api(replica.url, user)('POST', `/channels/${channelId}/pins`, { messageId });
    const unpin = (replica: Running, user: TestUser, channelId: string, messageId: string) =>
      api(replica.url, user)('DELETE', `/channels/${channelId}/pins/${messageId}`);

    it('lets any member of a public channel pin and unpin, newest pin first, pushed as message:updated', async () => {
      const id = await channel('public');
      await api(b.url, bob)('POST', `/channels/${id}/join`);
      const first = await post(alice, id, 'first');
      const second = await post(alice, id, 'second');
      const onA = await open(a, alice);

      expect((await pin(b, bob, id, first.id)).status).toBe(204);
      expect(await onA.inbox.next('message:updated')).toMatchObject({
        id: first.id,
        pinned: true,
        body: 'first',
      });
      expect((await pin(b, bob, id, second.id)).status).toBe(204);
      expect((await pin(a, alice, id, first.id)).status).toBe(204); // idempotent
      const list = await pins(a, alice, id);
      expect(list.status).toBe(200);
      expect(list.body.map((m: any) => [m.id, m.pinned])).toEqual([
        [second.id, true],
        [first.id, true],
      ]);
      expect(await onA.inbox.count('message:updated', 2)).toHaveLength(2);
      expect(await onA.inbox.during('message:updated', 300)).toHaveLength(0);

      expect((await unpin(a, alice, id, second.id)).status).toBe(204);
      expect((await onA.inbox.count('message:updated', 3))[2]).toMatchObject({
        id: second.id,
        pinned: false,
      });
      expect((await unpin(b, bob, id, second.id)).status).toBe(204); // idempotent
      expect((await pins(b, bob, id)).body.map((m: any) => m.id)).toEqual([first.id]);
    });

    it('leaves every socket on the stored state when pins, unpins and edits race on two replicas', async () => {
      const id = await channel('public');
      await api(b.url, bob)('POST', `/channels/${id}/join`);
      const msg = await post(alice, id, 'contested');
      const watcher = await open(b, alice);
      for (let round = 0; round < 8; round++) {
        await Promise.all([
          pin(a, alice, id, msg.id),
          unpin(b, bob, id, msg.id),
          api(b.url, alice)('PATCH', `/messages/${msg.id}`, { body: `contested ${round}` }),
        ]);
      }
      await watcher.inbox.during('message:updated', 500);
      const pushed = watcher.inbox.all('message:updated', (m) => m.id === msg.id);
      const stored = (await api(a.url, alice)('GET', `/channels/${id}/messages`)).body.messages.find(
        (m: any) => m.id === msg.id,
      );
      expect(pushed.length).toBeGreaterThan(0);
      expect(pushed.at(-1)).toMatchObject({ pinned: stored.pinned, body: stored.body });
    });

    it('takes the owner or staff in a private channel, both members in a DM, and hides it from others', async () => {
      const priv = await channel('private', bob);
      const msg = await post(bob, priv, 'pin me');
      const refused = await pin(b, bob, priv, msg.id);
      expect([refused.status, refused.body]).toMatchObject([403, { code: 'FORBIDDEN' }]);
      expect((await pin(b, carol, priv, msg.id)).status).toBe(404);
      expect((await pin(a, alice, priv, msg.id)).status).toBe(204);
      expect((await unpin(b, bob, priv, msg.id)).status).toBe(403);
      expect((await pins(b, bob, priv)).body.map((m: any) => m.id)).toEqual([msg.id]);
      expect((await pins(b, carol, priv)).status).toBe(404);
      // Staff manage pins in a private channel they are not in (as they may delete its messages).
      expect((await unpin(a, admin, priv, msg.id)).status).toBe(204);
      expect((await pin(a, admin, priv, msg.id)).status).toBe(204);

      const dm = (await api(a.url, alice)('POST', '/dms', { userId: bob.id })).body.id;
      const inDm = await post(alice, dm, 'in a dm');
      expect((await pin(b, bob, dm, inDm.id)).status).toBe(204);
      expect((await unpin(a, alice, dm, inDm.id)).status).toBe(204);
      expect((await pin(a, carol, dm, inDm.id)).status).toBe(404);
      expect((await pin(a, admin, dm, inDm.id)).status).toBe(404);
      expect((await pins(a, carol, dm)).status).toBe(404);

      const pub = await channel('public');
      const inPub = await post(alice, pub, 'public');
      expect((await pin(a, carol, pub, inPub.id)).body.code).toBe('FORBIDDEN');
      expect((await pins(a, carol, pub)).body.code).toBe('FORBIDDEN');
    });

    it('refuses deleted messages, messages of other channels and bad input; deleting a pinned message unpins it', async () => {
      const id = await channel('public');
      const other = await channel('public');
      const msg = await post(alice, id, 'keep');
      const gone = await post(alice, id, 'gone');
      const elsewhere = await post(alice, other, 'elsewhere');
      expect((await pin(a, alice, id, msg.id)).status).toBe(204);
      expect((await api(b.url, alice)('DELETE', `/messages/${msg.id}`)).status).toBe(204);
      expect((await pins(a, alice, id)).body).toEqual([]);
      expect((await api(b.url, alice)('DELETE', `/messages/${gone.id}`)).status).toBe(204);
      expect((await pin(a, alice, id, gone.id)).body.code).toBe('NOT_FOUND');
      expect((await pin(a, alice, id, elsewhere.id)).body.code).toBe('NOT_FOUND');
      expect((await unpin(a, alice, id, elsewhere.id)).body.code).toBe('NOT_FOUND');
      expect((await unpin(a, alice, id, gone.id)).status).toBe(204);
      for (const body of [
        {},
        { messageId: 'nope' },
        { messageId: msg.id, extra: true },
        { messageId: [msg.id] },
      ]) {
        const res = await api(a.url, alice)('POST', `/channels/${id}/pins`, body);
        expect([res.status, res.body.code]).toEqual([400, 'VALIDATION']);
      }
      expect((await unpin(a, alice, id, 'not-a-uuid')).status).toBe(404);
    });

    it('holds 100 pins per channel when 101 pins race on two replicas', async () => {
      const id = await channel('public');
      const { socket } = await open(a, alice);
      const sent: string[] = [];
      for (let i = 0; i < 101; i++) {
        const ack = await send(socket, 'message:send', { channelId: id, body: `m${i}` });
        sent.push(ack.ok && ack.message.id);
      }
      const results = await Promise.all(sent.map((m, i) => pin(i % 2 ? a : b, alice, id, m)));
      expect(results.filter((r) => r.status === 204)).toHaveLength(100);
      expect(results.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(['CONFLICT']);
      expect((await pins(a, alice, id)).body).toHaveLength(100);
    });
  });
});
