import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import { AccessRepository } from './access.repository';

describe('AccessRepository (real Postgres)', () => {
  let db: TestSql;

  beforeAll(async () => {
    db = await openSql();
  });
  afterAll(() => db.close());

  it("reads a channel's kind and the caller's membership, null for no such channel", async () => {
    const repo = new AccessRepository(db.sql);
    const [ann, bob] = [await db.user(), await db.user()];
    const row = await db.sql.one<{ id: string }>(
      `INSERT INTO channels (name, kind, created_by) VALUES ($1, 'public', $2) RETURNING id`,
      [uniqueChannelName(), ann],
    );
    await db.sql.rows(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      row!.id,
      ann,
    ]);
    expect(await repo.channelFacts(row!.id, ann)).toEqual({
      kind: 'public',
      membership: 'owner',
      archived: false,
    });
    expect(await repo.channelFacts(row!.id, bob)).toEqual({
      kind: 'public',
      membership: null,
      archived: false,
    });
    expect(await repo.channelFacts('00000000-0000-4000-8000-000000000000', ann)).toBeNull();
  });
});
