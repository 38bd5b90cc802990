import { describeWithRedis } from '../../../test/support/env';
import { api, send, sendRaw, sql, uploadedFile, type TestUser } from '../../../test/support/gateway';
import { twoReplicas } from '../../../test/support/replicas';

/**
 * Permalink pages (`?around=`), search filters, and catch-up of changes made while a client was
 * away (`channel:sync` `changedSince`), on two gateway replicas.
 */
describeWithRedis('permalinks, search filters and sync of changes (two replicas)', () => {
  const {
    a,
    b,
    users: { alice, bob, carol },
    socket: open,
    channel,
    post: postOn,
  } = twoReplicas({ users: ['alice', 'bob', 'carol'], admin: true });
  const post = (user: TestUser, channelId: string, body: string, attachmentIds?: string[]) =>
    postOn(b, user, channelId, body, { attachmentIds });

  describe('GET /channels/:id/messages?around=', () => {
    let id: string;
    const page = (query: string, user = alice) =>
      api(a.url, user)('GET', `/channels/${id}/messages?${query}`);
    const seqs = (res: { body: { messages: { seq: number }[] } }) => res.body.messages.map((m) => m.seq);

    beforeAll(async () => {
      id = await channel('private', bob);
      const socket = await open(b, bob);
      for (let i = 1; i <= 30; i++) await send(socket, 'message:send', { channelId: id, body: `m${i}` });
    });

    it('answers the page centred on the seq, saying what lies on either side', async () => {
      const mid = await page('around=15&limit=5');
      expect(mid.status).toBe(200);
      expect(seqs(mid)).toEqual([13, 14, 15, 16, 17]);
      expect(mid.body).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: true });
      expect(mid.body.messages[2].body).toBe('m15');

      const even = await page('around=15&limit=4');
      expect(seqs(even)).toEqual([14, 15, 16, 17]);

      const start = await page('around=2&limit=5');
      expect(seqs(start)).toEqual([1, 2, 3, 4, 5]);
      expect(start.body).toMatchObject({ hasMore: true, hasMoreBefore: false, hasMoreAfter: true });

      const end = await page('around=30&limit=5');
      expect(seqs(end)).toEqual([26, 27, 28, 29, 30]);
      expect(end.body).toMatchObject({ hasMore: true, hasMoreBefore: true, hasMoreAfter: false });

      const beyond = await page('around=999&limit=3');
      expect(seqs(beyond)).toEqual([28, 29, 30]);
      expect(beyond.body.hasMoreAfter).toBe(false);

      const all = await page('around=10');
      expect(seqs(all)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(all.body).toMatchObject({ hasMore: false, hasMoreBefore: false, hasMoreAfter: false });

      // Plain pages are unchanged: no hasMoreBefore/hasMoreAfter.
      expect(Object.keys((await page('limit=5')).body).sort()).toEqual(['hasMore', 'messages']);
    });

    it('refuses a bad around, or around with before/after, and non-members', async () => {
      for (const q of [
        'around=0',
        'around=-3',
        'around=abc',
        'around=1.5',
        'around=',
        'around=99999999999999999999',
        'around=5&before=10',
        'around=5&after=1',
        'around=5&limit=0',
      ]) {
        const res = await page(q);
        expect([q, res.status, res.body.code]).toEqual([q, 400, 'VALIDATION']);
      }
      expect((await page('around=5', carol)).status).toBe(404);
    });
  });

  describe('GET /search filters', () => {
    let id: string;
    let fromAlice: any;
    let fromBob: any;
    let withFile: any;
    let late: any;
    const search = (query: string, user = alice) =>
      api(a.url, user)('GET', `/search?channelId=${id}&${query}`);
    const ids = (res: { body: { messages: { id: string }[] } }) => res.body.messages.map((m) => m.id);

    beforeAll(async () => {
      id = await channel('private', bob);
      fromAlice = await post(alice, id, 'needle from alice');
      fromBob = await post(bob, id, 'needle from bob');
      const file = await uploadedFile(id, bob.id);
      withFile = await post(bob, id, 'needle with a file', [file]);
      late = await post(alice, id, 'haystack only');
      // Spread the times so before/after have something to split.
      await sql(
        `UPDATE messages SET created_at = created_at - interval '1 hour' WHERE id = ANY($1::uuid[])`,
        [[fromAlice.id, fromBob.id]],
      );
    });

    it('filters by author, time and attachments, with or without q', async () => {
      expect(ids(await search('q=needle'))).toEqual([withFile.id, fromBob.id, fromAlice.id]);
      expect(ids(await search(`q=needle&from=${bob.id}`))).toEqual([withFile.id, fromBob.id]);
      expect(ids(await search(`from=${alice.id}`))).toEqual([late.id, fromAlice.id]);
      expect(ids(await search(`from=${bob.id.toUpperCase()}`))).toEqual([withFile.id, fromBob.id]);
      const cut = encodeURIComponent(new Date(Date.now() - 30 * 60_000).toISOString());
      expect(ids(await search(`q=needle&before=${cut}`))).toEqual([fromBob.id, fromAlice.id]);
      expect(ids(await search(`after=${cut}`))).toEqual([late.id, withFile.id]);
      expect(ids(await search(`q=needle&after=${cut}&from=${alice.id}`))).toEqual([]);
      expect(ids(await search('has=file'))).toEqual([withFile.id]);
      expect(ids(await search('q=haystack&has=file'))).toEqual([]);
      expect((await search('has=file')).body.messages[0].attachments).toHaveLength(1);

      // Across all the caller's channels; never another user's channel.
      const all = await api(a.url, alice)('GET', `/search?from=${bob.id}`);
      expect(ids(all)).toEqual(expect.arrayContaining([withFile.id, fromBob.id]));
      expect(ids(await api(a.url, carol)('GET', `/search?from=${bob.id}`))).toEqual([]);
      // A deleted message is not found by filters either.
      expect((await api(a.url, bob)('DELETE', `/messages/${fromBob.id}`)).status).toBe(204);
      expect(ids(await search(`from=${bob.id}`))).toEqual([withFile.id]);
    });

    it('finds messages with files newest first also where most messages carry one', async () => {
      // Over 50 messages, all with a file: the search walks messages rather than reading every file.
      const dense = await channel('private', bob);
      const sent: string[] = [];
      for (let i = 0; i < 55; i++) {
        const file = await uploadedFile(dense, bob.id);
        sent.push((await post(bob, dense, `file ${i}`, [file])).id);
      }
      await post(bob, dense, 'no file');
      const res = await api(a.url, alice)('GET', `/search?channelId=${dense}&has=file`);
      expect(ids(res)).toEqual(sent.slice(-50).reverse());
      const mine = await api(a.url, alice)('GET', `/search?channelId=${dense}&has=file&from=${alice.id}`);
      expect(ids(mine)).toEqual([]);
    });

    it('refuses bad filters and a search with neither q nor a filter', async () => {
      for (const q of [
        '',
        'q=',
        'q=%20%20',
        'from=nope',
        'from=',
        'before=yesterday',
        'before=2026-02-30T00:00:00Z',
        'after=2026-13-01',
        `after=${'9'.repeat(5000)}`,
        'has=image',
        'has=',
        'has=file&has=file',
        'colour=blue',
        `q=x&channelId=nope`,
      ]) {
        const res = await api(a.url, alice)('GET', `/search?${q}`);
        expect([q.slice(0, 30), res.status, res.body.code]).toEqual([q.slice(0, 30), 400, 'VALIDATION']);
      }
      expect((await api(a.url, alice)('GET', '/search?q=needle')).status).toBe(200);
    });
  });

  describe('channel:sync changedSince', () => {
    it('returns every change made while the client was away, plus syncedAt for next time', async () => {
      const id = await channel('private', bob);
      const [edited, removed, reacted, pinned, untouched] = [
        await post(alice, id, 'to edit'),
        await post(alice, id, 'to delete'),
        await post(alice, id, 'to react to'),
        await post(alice, id, 'to pin'),
        await post(alice, id, 'untouched'),
      ];
      const away = await open(a, alice);
      const first = await send(away, 'channel:sync', { channelId: id, afterSeq: 0 });
      expect(first).toMatchObject({ ok: true, hasMore: false, changes: [], changesHasMore: false });
      expect(first.messages).toHaveLength(5);
      expect(Date.parse(first.syncedAt)).not.toBeNaN();
      away.close();

      const onB = await open(b, bob);
      expect((await send(onB, 'reaction:add', { messageId: reacted.id, emoji: '🎉' })).ok).toBe(true);
      expect((await api(b.url, alice)('POST', `/channels/${id}/pins`, { messageId: pinned.id })).status).toBe(
        204,
      );
      expect((await api(b.url, alice)('PATCH', `/messages/${edited.id}`, { body: 'edited' })).status).toBe(
        200,
      );
      expect((await send(onB, 'message:delete', { messageId: removed.id })).ok).toBe(false); // not bob's
      expect((await api(b.url, alice)('DELETE', `/messages/${removed.id}`)).status).toBe(204);
      const fresh = await post(bob, id, 'new while away');

      const back = await open(b, alice);
      const ack = await send(back, 'channel:sync', {
        channelId: id,
        afterSeq: 5,
        changedSince: first.syncedAt,
      });
      expect(ack.ok).toBe(true);
      expect(ack.messages.map((m: any) => m.id)).toEqual([fresh.id]);
      const changes = new Map(ack.changes.map((m: any) => [m.id, m]));
      expect(changes.get(edited.id)).toMatchObject({ body: 'edited', editedAt: expect.any(String) });
      expect(changes.get(removed.id)).toMatchObject({ deleted: true, body: '' });
      expect(changes.get(reacted.id)).toMatchObject({ reactions: [{ emoji: '🎉', userIds: [bob.id] }] });
      expect(changes.get(pinned.id)).toMatchObject({ pinned: true });
      expect(changes.has(untouched.id)).toBe(false);
      expect(ack.changesHasMore).toBe(false);
      expect(Date.parse(ack.syncedAt)).toBeGreaterThanOrEqual(Date.parse(first.syncedAt));

      // Unpinning, then removing the reaction, show up in the next sync from the new syncedAt.
      expect((await api(a.url, alice)('DELETE', `/channels/${id}/pins/${pinned.id}`)).status).toBe(204);
      expect((await api(a.url, bob)('DELETE', `/messages/${reacted.id}/reactions/%F0%9F%8E%89`)).status).toBe(
        204,
      );
      const next = await send(back, 'channel:sync', {
        channelId: id,
        afterSeq: 6,
        changedSince: ack.syncedAt,
      });
      const later = new Map(next.changes.map((m: any) => [m.id, m]));
      expect(later.get(pinned.id)).toMatchObject({ pinned: false });
      expect(later.get(reacted.id)).toMatchObject({ reactions: [] });
    });

    it('refuses a bad changedSince and keeps members-only', async () => {
      const id = await channel('private', bob);
      const socket = await open(a, alice);
      for (const changedSince of [
        'yesterday',
        '',
        5,
        '2026-02-30T00:00:00Z',
        'x'.repeat(10_000),
        ['2026-01-01'],
      ]) {
        const ack = await sendRaw(socket, 'channel:sync', [{ channelId: id, afterSeq: 0, changedSince }]);
        expect([String(changedSince).slice(0, 20), ack.ok === false && ack.error.code]).toEqual([
          String(changedSince).slice(0, 20),
          'VALIDATION',
        ]);
      }
      const outsider = await open(b, carol);
      const ack = await send(outsider, 'channel:sync', {
        channelId: id,
        afterSeq: 0,
        changedSince: new Date().toISOString(),
      });
      expect(!ack.ok && ack.error.code).toBe('NOT_FOUND');
    });
  });
});
