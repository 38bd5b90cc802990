import { randomBytes } from 'node:crypto';
import { openSql, type TestSql } from '../../../test/support/repository';
import { UserStatusRepository } from './user-status.repository';

describe('UserStatusRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: UserStatusRepository;

  beforeAll(async () => {
    db = await openSql();
    repo = new UserStatusRepository(db.sql);
  });
  afterAll(() => db.close());

  it("reads a user's name, roles and ban; null for no such user", async () => {
    const username = `us_${randomBytes(5).toString('hex')}`;
    const [ok, banned] = [await db.user({ username }), await db.user({ banned: true })];
    expect(await repo.statusOf(ok)).toEqual({ username, roles: ['member'], banned: false });
    expect(await repo.statusOf(banned)).toEqual({
      username: expect.any(String),
      roles: ['member'],
      banned: true,
    });
    expect(await repo.statusOf('00000000-0000-4000-8000-000000000000')).toBeNull();
  });
});
