import { openSql, type TestSql } from '../../../../test/support/repository';
import { holdInTransaction, sessionRevokedAt, stillPending } from '../../test/support/db';
import { ModerationRepository } from './moderation.repository';

describe('ModerationRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: ModerationRepository;

  const session = async (userId: string, revokedAt: Date | null = null) =>
    (await db.sql.one<{ id: string }>(
      'INSERT INTO login_sessions (user_id, revoked_at) VALUES ($1, $2) RETURNING id',
      [userId, revokedAt],
    ))!.id;
  const revokedAt = (sessionId: string) => sessionRevokedAt(db.sql, sessionId);

  beforeAll(async () => {
    db = await openSql();
    repo = new ModerationRepository(db.sql);
  });
  afterAll(() => db.close());

  it('reads and locks a user, and sets their roles', async () => {
    const id = await db.user();
    const user = await repo.transaction((tx) => tx.lockUser(id));
    expect(user).toEqual({
      id,
      username: expect.any(String),
      roles: ['member'],
      createdAt: expect.any(Date),
      bannedAt: null,
      bot: false,
    });
    expect(await repo.setRoles(id, ['moderator', 'member'])).toEqual({
      ...user,
      roles: ['moderator', 'member'],
    });
    expect(await repo.lockUser('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await repo.setRoles('00000000-0000-4000-8000-000000000000', ['member'])).toBeUndefined();
  });

  it('holds a locked user until the transaction ends', async () => {
    const id = await db.user();
    const held = await holdInTransaction(repo, (tx) => tx.lockUser(id));
    const second = repo.transaction((tx) => tx.lockUser(id));
    expect(await stillPending(second)).toBe(true);
    await held.release();
    expect((await second)?.id).toBe(id);
  });

  it('counts admins who are not banned', async () => {
    const before = await repo.activeAdminCount();
    const id = await db.user();
    await repo.setRoles(id, ['admin', 'member']);
    expect(await repo.activeAdminCount()).toBe(before + 1);
    await repo.ban(id);
    expect(await repo.activeAdminCount()).toBe(before);
  });

  it("bans once (keeping the ban's time), revoking only the user's live sessions; unbans", async () => {
    const [id, other] = [await db.user(), await db.user()];
    const earlier = new Date('2020-01-01T00:00:00Z');
    const [live, ended, others] = [await session(id), await session(id, earlier), await session(other)];
    await repo.ban(id);
    const banned = (await repo.lockUser(id))!.bannedAt;
    expect(banned).toEqual(expect.any(Date));
    expect(await revokedAt(live)).toEqual(expect.any(Date));
    expect(await revokedAt(ended)).toEqual(earlier);
    expect(await revokedAt(others)).toBeNull();
    await repo.ban(id);
    expect((await repo.lockUser(id))!.bannedAt).toEqual(banned);
    await repo.unban(id);
    expect((await repo.lockUser(id))!.bannedAt).toBeNull();
  });
});
