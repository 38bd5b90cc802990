import { randomBytes } from 'node:crypto';
import { openSql, uniqueChannelName, type TestSql } from '../../../../../test/support/repository';
import { EmailDigestRepository } from './email-digest.repository';

const WINDOW = 60_000;

describe('EmailDigestRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: EmailDigestRepository;

  beforeAll(async () => {
    db = await openSql(6);
    repo = new EmailDigestRepository(db.sql);
  });
  afterAll(() => db.close());

  /** A user with a verified address (unless told otherwise), member of a fresh channel with `messages` messages. */
  const setUp = async (opts: { verified?: boolean; notifications?: boolean; messages?: number } = {}) => {
    const user = await db.user();
    await db.sql.rows(
      `UPDATE users SET email = $2, email_verified_at = CASE WHEN $3 THEN now() END, email_notifications = $4
        WHERE id = $1`,
      [user, `${user}@example.com`, opts.verified ?? true, opts.notifications ?? true],
    );
    const author = await db.user();
    const [channel] = await db.sql.rows<{ id: string }>(
      `INSERT INTO channels (name, kind, created_by) VALUES ($1, 'public', $2) RETURNING id`,
      [uniqueChannelName(), author],
    );
    await db.sql.rows(`INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2), ($1, $3)`, [
      channel.id,
      user,
      author,
    ]);
    const messages: { id: string; seq: number }[] = [];
    for (let seq = 1; seq <= (opts.messages ?? 2); seq += 1) {
      const [m] = await db.sql.rows<{ id: string }>(
        `INSERT INTO messages (channel_id, seq, author_id, body) VALUES ($1, $2, $3, 'hi') RETURNING id`,
        [channel.id, seq, author],
      );
      messages.push({ id: m.id, seq });
    }
    await db.sql.rows(`UPDATE channels SET last_seq = $2 WHERE id = $1`, [channel.id, messages.length]);
    /** A notification about message `i`, created `ageMs` ago. */
    const notify = async (i: number, ageMs = 2 * WINDOW) => {
      await db.sql.rows(
        `INSERT INTO notifications (user_id, channel_id, message_id, seq, kind, title, body, created_at)
         VALUES ($1, $2, $3, $4, 'mention', 't', 'b', now() - $5::bigint * interval '1 millisecond')`,
        [user, channel.id, messages[i].id, messages[i].seq, ageMs],
      );
    };
    return { user, channel: channel.id, messages, notify };
  };
  const pending = async (user: string) =>
    (await db.sql.rows(`SELECT 1 FROM notifications WHERE user_id = $1 AND emailed_at IS NULL`, [user]))
      .length;

  it('finds users due a digest, in id pages, and only those', async () => {
    const due = await Promise.all([setUp(), setUp(), setUp()]);
    for (const d of due) await d.notify(0);
    const fresh = await setUp();
    await fresh.notify(0, 0);
    const recent = await setUp();
    await recent.notify(0);
    await db.sql.rows(`UPDATE users SET last_digest_at = now() WHERE id = $1`, [recent.user]);
    const unsubscribed = await setUp({ notifications: false });
    await unsubscribed.notify(0);

    const ids = due.map((d) => d.user).sort();
    const all = await repo.dueUsers(WINDOW, null, 100_000);
    expect(all.filter((id) => [...ids, fresh.user, recent.user, unsubscribed.user].includes(id))).toEqual(
      ids,
    );
    expect(all).toEqual([...all].sort());
    // The next page starts after the cursor.
    const after = await repo.dueUsers(WINDOW, ids[0], 100_000);
    expect(after.filter((id) => ids.includes(id))).toEqual(ids.slice(1));
    expect(await repo.dueUsers(WINDOW, null, 1)).toHaveLength(1);
  });

  it('retires what cannot be sent: unverified or unsubscribed users, read or deleted messages', async () => {
    const unverified = await setUp({ verified: false });
    await unverified.notify(0);
    const off = await setUp({ notifications: false });
    await off.notify(0);
    expect(await repo.skipUndeliverable(WINDOW, 100_000)).toBeGreaterThanOrEqual(2);
    expect([await pending(unverified.user), await pending(off.user)]).toEqual([0, 0]);

    const reader = await setUp({ messages: 3 });
    await reader.notify(0);
    await reader.notify(1);
    await reader.notify(2);
    await db.sql.rows(`UPDATE memberships SET last_read_seq = 1 WHERE channel_id = $1 AND user_id = $2`, [
      reader.channel,
      reader.user,
    ]);
    await db.sql.rows(`UPDATE messages SET deleted_at = now() WHERE id = $1`, [reader.messages[2].id]);
    expect(await repo.skipRead([reader.user])).toBe(2);
    const left = await repo.pending(reader.user, WINDOW, 10);
    expect(left.map((p) => p.seq)).toEqual([2]);
    expect(left[0]).toMatchObject({
      kind: 'mention',
      channelId: reader.channel,
      title: 't',
      body: 'b',
      due: true,
    });
    expect(await repo.skipRead([])).toBe(0);
  });

  it('a claimed user is skipped by a second claimer until the claim ends, then not due any more', async () => {
    const d = await setUp();
    await d.notify(0);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let claimed!: () => void;
    const took = new Promise<void>((r) => (claimed = r));
    const first = repo.transaction(async (tx) => {
      const user = await tx.claim(d.user, WINDOW);
      expect(user).toEqual({ id: d.user, username: expect.any(String), email: `${d.user}@example.com` });
      claimed();
      await released;
      const items = await tx.pending(d.user, WINDOW, 10);
      await tx.markSent(
        d.user,
        items.map((i) => i.id),
      );
    });
    await took;
    expect(await repo.transaction((tx) => tx.claim(d.user, WINDOW))).toBeUndefined();
    release();
    await first;
    expect(await pending(d.user)).toBe(0);
    expect(await repo.transaction((tx) => tx.claim(d.user, WINDOW))).toBeUndefined();
    expect(await repo.transaction((tx) => tx.claim(d.user, 0))).toBeDefined();
  });

  it('prunes notifications older than the limit and expired link tokens only', async () => {
    const d = await setUp();
    await d.notify(0, 31 * 24 * 3600_000);
    await d.notify(1);
    expect(await repo.pruneNotifications(30 * 24 * 3600_000, 100_000)).toBeGreaterThanOrEqual(1);
    expect(
      (await db.sql.rows<{ seq: string }>(`SELECT seq FROM notifications WHERE user_id = $1`, [d.user])).map(
        (r) => Number(r.seq),
      ),
    ).toEqual([2]);

    const [live, dead] = [randomBytes(32), randomBytes(32)];
    await repo.addUnsubscribeToken(d.user, 'x@example.com', live, new Date(Date.now() + 60_000));
    await repo.addUnsubscribeToken(d.user, 'x@example.com', dead, new Date(Date.now() - 1000));
    expect(await repo.pruneTokens(100_000)).toBeGreaterThanOrEqual(1);
    const left = await db.sql.rows<{ token_hash: Buffer }>(
      `SELECT token_hash FROM email_tokens WHERE user_id = $1`,
      [d.user],
    );
    expect(left.map((r) => r.token_hash)).toEqual([live]);
  });
});
