import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import { FilesRepository } from './files.repository';

describe('FilesRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: FilesRepository;
  let ann: string;
  let channelId: string;

  const file = async (
    opts: { size?: number; status?: 'ready' | 'pending'; ageSeconds?: number; by?: string } = {},
  ) => {
    const row = await db.sql.one<{ id: string }>(
      `INSERT INTO files (channel_id, uploaded_by, name, size, content_type, object_key, thumb_key, status, created_at)
       VALUES ($1, $2, 'a.png', $3, 'image/png', 'k/' || gen_random_uuid(), 't/x.webp', $4,
               now() - make_interval(secs => $5))
       RETURNING id`,
      [channelId, opts.by ?? ann, opts.size ?? 10, opts.status ?? 'ready', opts.ageSeconds ?? 0],
    );
    return row!.id;
  };

  beforeAll(async () => {
    db = await openSql();
    repo = new FilesRepository(db.sql);
    ann = await db.user();
    const row = await db.sql.one<{ id: string }>(
      `INSERT INTO channels (name, kind, created_by) VALUES ($1, 'private', $2) RETURNING id`,
      [uniqueChannelName(), ann],
    );
    channelId = row!.id;
  });
  afterAll(() => db.close());

  it('reads a file with typed fields, and only finished ones as ready', async () => {
    const ready = await file({ size: 5_000_000_000 });
    const pending = await file({ status: 'pending' });
    expect(await repo.findById(ready)).toEqual({
      id: ready,
      channelId,
      uploadedBy: ann,
      name: 'a.png',
      size: 5_000_000_000,
      contentType: 'image/png',
      objectKey: expect.stringMatching(/^k\//),
      thumbKey: 't/x.webp',
      status: 'ready',
      messageId: null,
      createdAt: expect.any(Date),
    });
    expect(await repo.findReady(pending)).toBeUndefined();
    expect((await repo.findById(pending))!.status).toBe('pending');
  });

  it('deletes once, answering the message the file was attached to', async () => {
    const id = await file();
    const msg = await db.sql.one<{ id: string }>(
      `INSERT INTO messages (channel_id, seq, author_id, body) VALUES ($1, 1, $2, 'x') RETURNING id`,
      [channelId, ann],
    );
    await db.sql.rows(`UPDATE files SET message_id = $2 WHERE id = $1`, [id, msg!.id]);
    expect(await repo.delete(id)).toEqual({ messageId: msg!.id });
    expect(await repo.delete(id)).toBeNull();
  });

  it("sums a user's bytes, leaving one file out under the quota lock", async () => {
    const bea = await db.user();
    const kept = await file({ by: bea, size: 100 });
    await file({ by: bea, size: 23, status: 'pending' });
    expect(await repo.bytesHeld(bea)).toBe(123);
    expect(await repo.transaction((tx) => tx.lockQuota(bea))).toBe(123);
    expect(await repo.transaction((tx) => tx.lockQuota(bea, kept))).toBe(23);
  });

  it('hands each expired pending upload to one sweeper only', async () => {
    const old = [
      await file({ status: 'pending', ageSeconds: 3600 }),
      await file({ status: 'pending', ageSeconds: 3600 }),
    ];
    const fresh = await file({ status: 'pending' });
    await repo.transaction(async (first) => {
      const mine = await first.expiredPending(60, 1);
      expect(mine).toHaveLength(1);
      // Another sweeper, meanwhile, gets the rest and never the locked row.
      const theirs = await repo.transaction((second) => second.expiredPending(60, 100));
      expect(theirs.map((r) => r.id)).not.toContain(mine[0].id);
      expect(theirs.map((r) => r.id)).not.toContain(fresh);
      await first.deleteAll(mine.map((r) => r.id));
    });
    const left = await repo.transaction((tx) => tx.expiredPending(60, 100));
    expect(left.map((r) => r.id).filter((id) => old.includes(id))).toHaveLength(1);
  });
});
