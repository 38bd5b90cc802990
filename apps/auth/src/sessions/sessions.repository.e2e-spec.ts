import { randomBytes } from 'node:crypto';
import { openSql, type TestSql } from '../../../../test/support/repository';
import { holdInTransaction, sessionRevokedAt } from '../../test/support/db';
import { SessionsRepository, type NewRefreshToken } from './sessions.repository';

describe('SessionsRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: SessionsRepository;
  let ann: string;

  const later = () => new Date(Date.now() + 3600_000);
  const token = (expiresAt: Date = later()): NewRefreshToken => ({
    tokenHash: randomBytes(32).toString('hex'),
    expiresAt,
  });
  const revokedAt = (sessionId: string) => sessionRevokedAt(db.sql, sessionId);
  const exists = async (table: 'login_sessions' | 'refresh_tokens', id: string) =>
    (await db.sql.rows(`SELECT 1 FROM ${table} WHERE id = $1`, [id])).length === 1;

  beforeAll(async () => {
    db = await openSql();
    repo = new SessionsRepository(db.sql);
    ann = await db.user();
  });
  afterAll(() => db.close());

  it('starts a session with its first token, adds tokens, and finds them by hash', async () => {
    const first = token();
    const sessionId = await repo.start(ann, first);
    const found = await repo.findToken(first.tokenHash);
    expect(found).toEqual({ id: expect.any(String), sessionId, expiresAt: first.expiresAt });
    const next = token();
    await repo.addToken(sessionId, next);
    expect((await repo.findToken(next.tokenHash))?.sessionId).toBe(sessionId);
    expect(await repo.findToken(token().tokenHash)).toBeUndefined();
  });

  it('locks a session with its user as they are now', async () => {
    const sessionId = await repo.start(ann, token());
    const locked = await repo.transaction((tx) => tx.lockWithUser(sessionId));
    expect(locked).toEqual({
      id: sessionId,
      revokedAt: null,
      user: {
        id: ann,
        username: expect.any(String),
        roles: ['member'],
        createdAt: expect.any(Date),
        bannedAt: null,
        bot: false,
      },
    });
    await db.sql.rows('UPDATE users SET banned_at = now() WHERE id = $1', [ann]);
    expect((await repo.lockWithUser(sessionId))?.user?.bannedAt).toEqual(expect.any(Date));
    await db.sql.rows('UPDATE users SET banned_at = NULL WHERE id = $1', [ann]);
    expect(await repo.lockWithUser('00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('spends a token once, even when two spends race', async () => {
    const t = token();
    await repo.start(ann, t);
    const { id } = (await repo.findToken(t.tokenHash))!;
    const results = await Promise.all([repo.spend(id), repo.spend(id)]);
    expect(results.sort()).toEqual([false, true]);
    expect(await repo.spend(id)).toBe(false);
  });

  it('revokes a session by id, and by any of its tokens (once)', async () => {
    const a = await repo.start(ann, token());
    await repo.revoke(a);
    expect(await revokedAt(a)).toEqual(expect.any(Date));

    const t = token();
    const b = await repo.start(ann, t);
    await repo.revokeByToken(t.tokenHash);
    const first = await revokedAt(b);
    expect(first).toEqual(expect.any(Date));
    await repo.revokeByToken(t.tokenHash);
    expect(await revokedAt(b)).toEqual(first);
    await repo.revokeByToken(token().tokenHash); // unknown: nothing happens
  });

  describe('clean-up', () => {
    // Dates far in the past, so these statements reach only this spec's rows in a shared database.
    const longAgo = (day: number) => new Date(Date.UTC(1990, 0, day));

    it('lets one transaction at a time hold the clean-up lock', async () => {
      const held = await holdInTransaction(repo, (tx) => tx.tryCleanupLock());
      expect(held.taken).toBe(true);
      expect(await repo.transaction((tx) => tx.tryCleanupLock())).toBe(false);
      await held.release();
      expect(await repo.transaction((tx) => tx.tryCleanupLock())).toBe(true);
    });

    it('deletes expired tokens in batches, oldest first, then the sessions they emptied', async () => {
      const old = token(longAgo(1));
      const emptied = await repo.start(ann, old);
      const kept = await repo.start(ann, token(longAgo(2)));
      const live = token();
      await repo.addToken(kept, live);
      const liveId = (await repo.findToken(live.tokenHash))!.id;

      expect(await repo.deleteExpiredTokens(longAgo(3), 1)).toEqual([emptied]);
      expect(await repo.deleteExpiredTokens(longAgo(3), 10)).toEqual([kept]);
      expect(await repo.deleteExpiredTokens(longAgo(3), 10)).toEqual([]);
      expect(await repo.deleteEmptied([emptied, kept])).toBe(1);
      expect(await repo.deleteEmptied([])).toBe(0);
      expect(await exists('login_sessions', emptied)).toBe(false);
      expect(await exists('login_sessions', kept)).toBe(true);
      expect(await exists('refresh_tokens', liveId)).toBe(true);
    });

    it('deletes revoked sessions with their tokens, earliest revoked first', async () => {
      const t = token();
      const [a, b, live] = [
        await repo.start(ann, t),
        await repo.start(ann, token()),
        await repo.start(ann, token()),
      ];
      await db.sql.rows('UPDATE login_sessions SET revoked_at = $2 WHERE id = $1', [a, longAgo(2)]);
      await db.sql.rows('UPDATE login_sessions SET revoked_at = $2 WHERE id = $1', [b, longAgo(1)]);
      const tokenId = (await repo.findToken(t.tokenHash))!.id;
      expect(await repo.deleteRevoked(1)).toBe(1);
      expect([await exists('login_sessions', a), await exists('login_sessions', b)]).toEqual([true, false]);
      expect(await repo.deleteRevoked(1)).toBe(1);
      expect(await exists('login_sessions', a)).toBe(false);
      expect(await exists('refresh_tokens', tokenId)).toBe(false);
      expect(await exists('login_sessions', live)).toBe(true);
    });

    it('skips the rows another transaction holds', async () => {
      const t = token(longAgo(5));
      const held = await repo.start(ann, t);
      const { id } = (await repo.findToken(t.tokenHash))!;
      // A refresh holding the token's row.
      const refreshing = await holdInTransaction(repo, (tx) => tx.spend(id));
      expect(await repo.deleteExpiredTokens(longAgo(6), 10)).toEqual([]);
      await refreshing.release();
      expect(await repo.deleteExpiredTokens(longAgo(6), 10)).toEqual([held]);
    });
  });
});
