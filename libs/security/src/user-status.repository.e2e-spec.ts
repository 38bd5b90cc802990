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

  it('reads the name, roles and ban of every user asked for in one batch; leaves out unknown ids', async () => {
    const username = `us_${randomBytes(5).toString('hex')}`;
    const [ok, banned] = [await db.user({ username }), await db.user({ banned: true })];
    const unknown = '00000000-0000-4000-8000-000000000000';
    const found = await repo.statusOfMany([ok, banned, unknown, ok]);
    expect(found.get(ok)).toEqual({ username, roles: ['member'], banned: false, totpSetupRequired: false });
    expect(found.get(banned)).toEqual({
      username: expect.any(String),
      roles: ['member'],
      banned: true,
      totpSetupRequired: false,
    });
    expect(found.has(unknown)).toBe(false);
    expect(found.size).toBe(2);
    expect((await repo.statusOfMany([])).size).toBe(0);
  });
});
