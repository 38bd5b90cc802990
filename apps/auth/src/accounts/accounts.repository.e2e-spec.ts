import { randomBytes } from 'node:crypto';
import { openSql, type TestSql } from '../../../../test/support/repository';
import { holdInTransaction, stillPending } from '../../test/support/db';
import { AccountsRepository } from './accounts.repository';

describe('AccountsRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: AccountsRepository;
  const name = () => `ar_${randomBytes(5).toString('hex')}`;

  beforeAll(async () => {
    db = await openSql();
    repo = new AccountsRepository(db.sql);
  });
  afterAll(() => db.close());

  it('creates an account with the given roles and finds it by id and by name in any case', async () => {
    const username = `${name()}_Mixed`;
    const created = await repo.insert({
      username,
      passwordHash: 'h',
      email: 'a@example.com',
      roles: ['member'],
    });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username,
      roles: ['member'],
      createdAt: expect.any(Date),
      passwordHash: 'h',
      bannedAt: null,
      bot: false,
    });
    expect(await repo.findById(created!.id)).toEqual(created);
    expect(await repo.findByUsername(username.toUpperCase())).toEqual(created);
    expect(await repo.findByUsername(name())).toBeUndefined();
    expect(await repo.findById('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('answers undefined for a taken username in any case, without failing the transaction', async () => {
    const username = name();
    await repo.insert({ username, passwordHash: 'h', email: null, roles: ['member'] });
    const other = name();
    const [taken, next] = await repo.transaction(async (tx) => [
      await tx.insert({
        username: username.toUpperCase(),
        passwordHash: 'h',
        email: null,
        roles: ['member'],
      }),
      await tx.insert({ username: other, passwordHash: 'h', email: null, roles: ['member'] }),
    ]);
    expect(taken).toBeUndefined();
    expect(next?.username).toBe(other);
    expect(await repo.findByUsername(other)).toEqual(next);
  });

  it('rolls an insert back with its transaction', async () => {
    const username = name();
    await expect(
      repo.transaction(async (tx) => {
        await tx.insert({ username, passwordHash: 'h', email: null, roles: ['member'] });
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    expect(await repo.findByUsername(username)).toBeUndefined();
  });

  it('grants admin once, after the roles the user has', async () => {
    const id = await db.user();
    expect(await repo.grantAdmin(id)).toBe(true);
    expect(await repo.grantAdmin(id)).toBe(false);
    expect((await repo.findById(id))?.roles).toEqual(['member', 'admin']);
  });

  it('tells an account exists, and serializes first registrations', async () => {
    await db.user();
    expect(await repo.anyAccount()).toBe(true);
    const held = await holdInTransaction(repo, (tx) => tx.lockFirstAdmin());
    const second = repo.transaction((tx) => tx.lockFirstAdmin());
    expect(await stillPending(second)).toBe(true);
    await held.release();
    await second;
  });
});
