import type { GatewayConfig } from '../config';
import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import { ChannelsRepository } from '../channels/channels.repository';
import { MessagesRepository } from './messages.repository';

const config = (preparedStatements: boolean) => ({ database: { preparedStatements } }) as GatewayConfig;

describe('MessagesRepository (real Postgres)', () => {
  let db: TestSql;
  let channels: ChannelsRepository;
  let ann: string;
  let bob: string;
  let eve: string;

  beforeAll(async () => {
    db = await openSql();
    channels = new ChannelsRepository(db.sql);
    [ann, bob, eve] = await Promise.all([db.user(), db.user(), db.user()]);
  });
  afterAll(() => db.close());

  const channel = async () => {
    const id = (await channels.createChannel(uniqueChannelName(), 'private', '', ann))!;
    await channels.addMember(id, bob);
    return id;
  };

  it.each([true, false])(
    'stores a batch in arrival order with consecutive seqs, skipping non-members and used clientIds (prepared: %s)',
    async (prepared) => {
      const repo = new MessagesRepository(db.sql, config(prepared));
      const id = await channel();
      const clientId = `c-${prepared}-${Date.now()}`;
      const first = await repo.insertBatch(id, [
        { authorId: ann, body: 'one', clientId },
        { authorId: eve, body: 'not a member', clientId: null },
        { authorId: bob, body: 'two', clientId: null },
      ]);
      expect(first.map((r) => [r.member, r.used, r.seq])).toEqual([
        [true, false, '1'],
        [false, false, null],
        [true, false, '2'],
      ]);
      const again = await repo.insertBatch(id, [{ authorId: ann, body: 'retry', clientId }]);
      expect(again.map((r) => [r.member, r.used, r.id])).toEqual([[true, true, null]]);
      const page = await repo.page(id, {}, true, 10);
      expect(page.map((m) => [m.seq, m.body, m.author_id])).toEqual([
        ['1', 'one', ann],
        ['2', 'two', bob],
      ]);
      expect((await repo.byClientId(ann, clientId))!.body).toBe('one');
    },
  );

  it('pages both ways, reads ranges, edits and tombstones', async () => {
    const repo = new MessagesRepository(db.sql, config(true));
    const id = await channel();
    await repo.insertBatch(
      id,
      ['a', 'b', 'c', 'd'].map((body) => ({ authorId: ann, body, clientId: null })),
    );
    expect((await repo.page(id, { before: 4 }, false, 2)).map((m) => m.body)).toEqual(['c', 'b']);
    expect((await repo.page(id, { after: 1 }, true, 2)).map((m) => m.body)).toEqual(['b', 'c']);
    expect((await repo.range(id, 1, 4)).map((m) => Number(m.seq))).toEqual([2, 3]);
    const [b] = await repo.range(id, 1, 3);
    expect(await repo.editBody(b.id, 'B')).toBe(true);
    expect((await repo.byId(b.id))!.edited_at).toEqual(expect.any(Date));
    expect(await repo.tombstone(b.id)).toBe(2);
    expect(await repo.tombstone(b.id)).toBeNull();
    expect(await repo.editBody(b.id, 'again')).toBe(false);
    expect((await repo.byId(b.id))!.body).toBe('');
    // Only commits older than a few seconds are settled.
    expect(await repo.settledFloor(id, 4)).toBe(0);
  });

  it('finds words in the given channels only, newest first, and not in deleted messages', async () => {
    const repo = new MessagesRepository(db.sql, config(true));
    const [mine, other] = [await channel(), await channel()];
    const word = `w${Date.now()}`;
    await repo.insertBatch(mine, [
      { authorId: ann, body: `${word} first`, clientId: null },
      { authorId: ann, body: `${word} second`, clientId: null },
      { authorId: ann, body: `${word} gone`, clientId: null },
    ]);
    await repo.insertBatch(other, [{ authorId: ann, body: `${word} elsewhere`, clientId: null }]);
    const [gone] = await repo.range(mine, 2, 4);
    await repo.tombstone(gone.id);
    const found = await repo.search(word, [mine]);
    expect(found.map((m) => m.body)).toEqual([`${word} second`, `${word} first`]);
  });

  it('locks attachments, takes the next seq and attaches, all in one transaction', async () => {
    const repo = new MessagesRepository(db.sql, config(true));
    const id = await channel();
    const file = await db.sql.one<{ id: string }>(
      `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, status)
       VALUES ($1, $2, 'a.png', 1234, 'image/png', 'k/' || gen_random_uuid(), 'ready') RETURNING id`,
      [id, ann],
    );
    const stored = await repo.transaction(async (tx) => {
      const [locked] = await tx.lockAttachments([file!.id]);
      expect(locked).toMatchObject({
        id: file!.id,
        channelId: id,
        uploadedBy: ann,
        messageId: null,
        status: 'ready',
      });
      const seq = await tx.nextSeq(id);
      const row = await tx.insertOne(id, seq!, { authorId: ann, body: 'look', clientId: 'att-1' });
      await tx.attach(row!.id, [file!.id]);
      expect(await tx.insertOne(id, '99', { authorId: ann, body: 'dup', clientId: 'att-1' })).toBeUndefined();
      return row!;
    });
    const read = await repo.byId(stored.id);
    expect(read!.files).toEqual([
      {
        id: file!.id,
        channelId: id,
        name: 'a.png',
        size: 1234,
        contentType: 'image/png',
        uploadedBy: ann,
        createdAt: expect.any(Date),
      },
    ]);
    expect(await repo.nextSeq('00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});
