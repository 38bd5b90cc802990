import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import { ChannelsRepository } from './channels.repository';

describe('ChannelsRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: ChannelsRepository;
  let ann: string;
  let bob: string;

  /** A message by `authorId`, as a send stores it. */
  const post = async (channelId: string, authorId: string) => {
    await db.sql.rows(
      `WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO messages (channel_id, seq, author_id, body) SELECT $1, c.last_seq, $2, 'hi' FROM c`,
      [channelId, authorId],
    );
  };

  beforeAll(async () => {
    db = await openSql();
    repo = new ChannelsRepository(db.sql);
    [ann, bob] = await Promise.all([db.user(), db.user()]);
  });
  afterAll(() => db.close());

  it('creates a channel with its owner, and refuses a second public channel of the same name', async () => {
    const name = uniqueChannelName();
    const id = await repo.createChannel(name, 'public', 'topic', ann);
    expect(id).toEqual(expect.any(String));
    expect(await repo.accessOf(id!, ann)).toEqual({
      id,
      kind: 'public',
      lastSeq: 0,
      role: 'owner',
      archived: false,
    });
    expect(await repo.accessOf(id!, bob)).toEqual({
      id,
      kind: 'public',
      lastSeq: 0,
      role: null,
      archived: false,
    });
    expect(await repo.createChannel(name, 'public', '', bob)).toBeNull();
    expect(await repo.createChannel(name, 'private', '', bob)).toEqual(expect.any(String));
    expect(await repo.accessOf('00000000-0000-4000-8000-000000000000', ann)).toBeUndefined();
  });

  it('renames unless the public name is taken, keeping what is not given', async () => {
    const taken = uniqueChannelName();
    await repo.createChannel(taken, 'public', '', ann);
    const id = (await repo.createChannel(uniqueChannelName(), 'public', 'old topic', ann))!;
    expect(await repo.updateSettings(id, taken, null)).toBe(false);
    expect(await repo.updateSettings(id, null, 'new topic')).toBe(true);
    const row = await repo.forViewer(ann, id);
    expect([row!.name === taken, row!.topic]).toEqual([false, 'new topic']);
  });

  it("adds and removes members once, and reads each viewer's unread count", async () => {
    const id = (await repo.createChannel(uniqueChannelName(), 'private', '', ann))!;
    await post(id, ann);
    expect(await repo.addMember(id, bob)).toEqual(expect.any(String));
    expect(await repo.addMember(id, bob)).toBeNull();
    // Joining brings no backlog; a message by someone else afterwards is unread, one's own is not.
    expect((await repo.forViewer(bob, id))!.unread_count).toBe(0);
    await post(id, ann);
    await post(id, bob);
    expect((await repo.forViewer(bob, id))!.unread_count).toBe(1);
    expect((await repo.forViewer(ann, id))!.unread_count).toBe(1);
    expect(new Map((await repo.unreadCounts(id)).map((r) => [r.user_id, r.unread_count]))).toEqual(
      new Map([
        [ann, 1],
        [bob, 1],
      ]),
    );
    expect((await repo.members(id)).map((m) => [m.user_id, m.role])).toEqual([
      [ann, 'owner'],
      [bob, 'member'],
    ]);
    expect((await repo.listForMember(bob)).map((c) => c.id)).toContain(id);
    expect(await repo.memberChannelIds(bob)).toContain(id);
    const nobody = '00000000-0000-4000-8000-000000000000';
    const many = await repo.memberChannelIdsOfMany([ann, bob, nobody]);
    expect(many.get(ann)).toContain(id);
    expect(many.get(bob)).toContain(id);
    expect(many.has(nobody)).toBe(false);
    expect(await repo.removeMember(id, bob)).toEqual(expect.any(String));
    expect(await repo.removeMember(id, bob)).toBeNull();
    expect(await repo.member(id, bob)).toBeUndefined();
  });

  it('moves a read marker forward only, capped at the last message', async () => {
    const id = (await repo.createChannel(uniqueChannelName(), 'public', '', ann))!;
    await repo.addMember(id, bob);
    for (let i = 0; i < 3; i++) await post(id, ann);
    expect(await repo.moveReadMarker(id, bob, 99)).toBe(true);
    expect((await repo.forViewer(bob, id))!.unread_count).toBe(0);
    expect(await repo.moveReadMarker(id, bob, 1)).toBe(false);
    expect(await repo.moveReadMarker(id, bob, 3)).toBe(false);
  });

  it('opens one DM per pair, even when two calls race, and creates none when told not to', async () => {
    const [a, b] = await Promise.all([db.user(), db.user()]);
    const key = [a, b].sort().join(':');
    expect(await repo.openDm(a, b, key, false)).toBeNull();
    const [one, two] = await Promise.all([repo.openDm(a, b, key, true), repo.openDm(b, a, key, true)]);
    expect(one!.id).toBe(two!.id);
    expect([one!.isNew, two!.isNew].sort()).toEqual([false, true]);
    expect(await repo.openDm(a, b, key, false)).toEqual({ id: one!.id, isNew: false });
    const dm = await repo.forViewer(a, one!.id);
    expect([dm!.kind, dm!.member_count]).toEqual(['dm', 2]);
  });

  it('browses public channels by a LIKE pattern, by name', async () => {
    const stem = uniqueChannelName();
    await repo.createChannel(`${stem}-b`, 'public', '', ann);
    await repo.createChannel(`${stem}-a`, 'public', '', ann);
    await repo.createChannel(`${stem}-c`, 'private', '', ann);
    const found = await repo.browsePublic(bob, `%${stem}%`, 10);
    expect(found.map((c) => c.name)).toEqual([`${stem}-a`, `${stem}-b`]);
  });
});
