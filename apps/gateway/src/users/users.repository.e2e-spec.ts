import { randomBytes } from 'node:crypto';
import { openSql, type TestSql } from '../../../../test/support/repository';
import { UsersRepository } from './users.repository';

describe('UsersRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: UsersRepository;

  beforeAll(async () => {
    db = await openSql();
    repo = new UsersRepository(db.sql);
  });
  afterAll(() => db.close());

  it('finds users by a name prefix, by name, leaving banned users out', async () => {
    const stem = `ur_${randomBytes(4).toString('hex')}`;
    const [b, a] = [await db.user({ username: `${stem}_b` }), await db.user({ username: `${stem}_A` })];
    await db.user({ username: `${stem}_c`, banned: true });
    const found = await repo.searchActive(`${stem}%`, 10);
    expect(found.map((u) => [u.id, u.username])).toEqual([
      [a, `${stem}_A`],
      [b, `${stem}_b`],
    ]);
    expect(found[0]).toEqual({
      id: a,
      username: `${stem}_A`,
      roles: ['member'],
      createdAt: expect.any(Date),
      bot: false,
    });
    expect(await repo.searchActive(`${stem}%`, 1)).toHaveLength(1);
  });

  it('tells which users exist and are not banned, and names them', async () => {
    const [ok, banned] = [await db.user(), await db.user({ banned: true })];
    const missing = '00000000-0000-4000-8000-000000000000';
    expect(await repo.activeIds([ok, banned, missing])).toEqual(new Set([ok]));
    expect(await repo.activeIds([])).toEqual(new Set());
    expect(await repo.username(banned)).toEqual(expect.any(String));
    expect(await repo.username(missing)).toBeNull();
  });
});
