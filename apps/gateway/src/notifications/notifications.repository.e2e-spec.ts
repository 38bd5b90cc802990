import { randomBytes } from 'node:crypto';
import { openSql, uniqueChannelName, type TestSql } from '../../../../test/support/repository';
import {
  CANDIDATES_SQL,
  candidateParams,
  NotificationsRepository,
  type CandidateQuery,
} from './notifications.repository';

describe('NotificationsRepository (real Postgres)', () => {
  let db: TestSql;
  let repo: NotificationsRepository;

  const channel = async (kind: 'public' | 'private' | 'dm', owner: string, members: string[]) => {
    const row = await db.sql.one<{ id: string }>(
      `INSERT INTO channels (name, kind, created_by, dm_key) VALUES ($1, $2, $3, $4) RETURNING id`,
      [uniqueChannelName(), kind, owner, kind === 'dm' ? randomBytes(8).toString('hex') : null],
    );
    await db.sql.rows(`INSERT INTO memberships (channel_id, user_id) SELECT $1, unnest($2::uuid[])`, [
      row!.id,
      [owner, ...members],
    ]);
    return row!.id;
  };
  /** `n` users in one statement (a big channel's members). */
  const users = async (n: number) =>
    (
      await db.sql.rows<{ id: string }>(
        `INSERT INTO users (username, password_hash)
         SELECT 'n_' || substr(md5(random()::text), 1, 12) || g, 'x' FROM generate_series(1, $1) g
         RETURNING id`,
        [n],
      )
    ).map((r) => r.id);
  const prefs = (channelId: string, userId: string, notify: string | null, muted = false) =>
    db.sql.rows(`UPDATE memberships SET notify = $3, muted = $4 WHERE channel_id = $1 AND user_id = $2`, [
      channelId,
      userId,
      notify,
      muted,
    ]);
  const query = (
    channelId: string,
    authorId: string,
    extra: Partial<CandidateQuery> = {},
  ): CandidateQuery => ({
    channelId,
    authorId,
    mentionedIds: [],
    everyone: false,
    threadId: null,
    ...extra,
  });
  /** One message's candidates, decided alone. */
  const candidatesOf = async (q: CandidateQuery) => (await repo.candidates([q]))[0];
  const found = async (q: CandidateQuery) =>
    Object.fromEntries(
      (await candidatesOf(q)).map((r) => [
        r.user_id,
        { notify: r.notify, mentioned: r.mentioned, follows: r.follows },
      ]),
    );
  /** Rows the statement read from memberships, summed over its plan (EXPLAIN ANALYZE). */
  const membershipRowsRead = async (...qs: CandidateQuery[]) => {
    const [{ 'QUERY PLAN': plan }] = await db.sql.rows<{ 'QUERY PLAN': unknown[] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) ${CANDIDATES_SQL}`,
      candidateParams(qs),
    );
    let rows = 0;
    const walk = (node: any) => {
      if (node['Relation Name'] === 'memberships') rows += node['Actual Rows'] * node['Actual Loops'];
      for (const child of node.Plans ?? []) walk(child);
    };
    walk((plan[0] as any).Plan);
    return rows;
  };

  beforeAll(async () => {
    db = await openSql();
    repo = new NotificationsRepository(db.sql);
  });
  afterAll(() => db.close());

  it('reads only the members who changed a level in a 1,000-member channel, unless @channel', async () => {
    const [owner, ...members] = await users(1000);
    const id = await channel('public', owner, members);
    const all = members.slice(0, 50);
    for (const u of all) await prefs(id, u, 'all');
    await prefs(id, members[60], 'none');
    await prefs(id, members[61], null, true);
    await db.sql.rows('ANALYZE memberships');
    const plain = query(id, owner);
    expect(Object.keys(await found(plain)).sort()).toEqual([...all].sort());
    expect(await membershipRowsRead(plain)).toBeLessThanOrEqual(60);
    const mention = query(id, owner, { mentionedIds: [members[100], members[60]] });
    expect((await found(mention))[members[100]]).toEqual({ notify: null, mentioned: true, follows: false });
    expect(await membershipRowsRead(mention)).toBeLessThanOrEqual(60);
    // @channel: everyone but the author, the muted member and the one at none.
    const everyone = query(id, owner, { everyone: true });
    const got = await found(everyone);
    expect(Object.keys(got)).toHaveLength(999 - 2);
    expect([got[owner], got[members[60]], got[members[61]]]).toEqual([undefined, undefined, undefined]);
    expect(await membershipRowsRead(everyone)).toBeGreaterThanOrEqual(1000);
  });

  it('decides many messages of many channels in one statement, each as if alone', async () => {
    // Three 300-member channels: one where 20 members chose `all`, one where nobody changed
    // anything, and a DM; then a gone channel. Five messages, some to the same channel.
    const [owner, ...members] = await users(600);
    const busy = await channel('public', owner, members.slice(0, 300));
    const quiet = await channel('public', owner, members.slice(300));
    const [a, b] = await users(2);
    const dm = await channel('dm', a, [b]);
    for (const u of members.slice(0, 20)) await prefs(busy, u, 'all');
    await db.sql.rows('ANALYZE memberships');
    const gone = '00000000-0000-4000-8000-000000000000';
    const batch = [
      query(busy, owner),
      query(quiet, owner),
      query(dm, a),
      query(quiet, members[300], { mentionedIds: [members[301], members[5]] }),
      query(gone, owner),
      query(busy, members[0], { mentionedIds: [members[1]] }),
    ];
    const together = await repo.candidates(batch);
    const alone = await Promise.all(batch.map(candidatesOf));
    expect(together).toEqual(alone);
    // What each got, as a user would see it: the 20 at `all` (but the author), nobody, the DM's
    // other member, the one member mentioned (members[5] is not in that channel), nothing.
    expect(together.map((rows) => rows.length)).toEqual([20, 0, 1, 1, 0, 19]);
    expect(together[3][0]).toMatchObject({ user_id: members[301], mentioned: true });
    expect(together[5].find((r) => r.user_id === members[1])).toMatchObject({ mentioned: true });
    // Index probes per message, never a scan of the channels' 900 memberships.
    expect(await membershipRowsRead(...batch)).toBeLessThanOrEqual(20 + 2 + 1 + 2 + 20 + 1);
    expect(await repo.candidates([])).toEqual([]);
  });

  it('flags mentions and thread followers, and leaves out the author, non-members and leavers', async () => {
    const [author, bob, carol, dave, outsider] = await users(5);
    const banned = await db.user({ banned: true });
    const id = await channel('private', author, [bob, carol, dave, banned]);
    const root = randomBytes(16)
      .toString('hex')
      .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
    await db.sql.rows(
      `INSERT INTO thread_follows (user_id, root_id, channel_id) SELECT unnest($1::uuid[]), $2, $3`,
      [[carol, dave, author, outsider, banned], root, id],
    );
    await db.sql.rows(`DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2`, [id, dave]);
    const got = await found(
      query(id, author, { mentionedIds: [bob, outsider, author, banned], threadId: root }),
    );
    // The banned member is a candidate here; `accounts` tells the service to drop them.
    expect(got).toEqual({
      [bob]: { notify: null, mentioned: true, follows: false },
      [carol]: { notify: null, mentioned: false, follows: true },
      [banned]: { notify: null, mentioned: true, follows: true },
    });
    // Without the thread, carol is not a candidate at all.
    expect(Object.keys(await found(query(id, author, { mentionedIds: [bob] })))).toEqual([bob]);
  });

  it('reads both members of a DM, whose default is all, and the channel it was sent to', async () => {
    const [a, b] = await users(2);
    const id = await channel('dm', a, [b]);
    const rows = await candidatesOf(query(id, a));
    expect(rows).toEqual([
      expect.objectContaining({
        user_id: b,
        notify: null,
        channel_kind: 'dm',
        mentioned: false,
        follows: false,
      }),
    ]);
    await prefs(id, b, 'none');
    expect(await candidatesOf(query(id, a))).toEqual([]);
    expect(await candidatesOf(query('00000000-0000-4000-8000-000000000000', a))).toEqual([]);
  });

  it('tells who is banned and who reads digests, and records digest rows once per user and message', async () => {
    const [verified, unverified, optedOut, noEmail, author] = await users(5);
    const banned = await db.user({ banned: true });
    await db.sql.rows(
      `UPDATE users SET email = 'x@example.test', email_verified_at = now() WHERE id = ANY($1::uuid[])`,
      [[verified, optedOut, banned]],
    );
    await db.sql.rows(`UPDATE users SET email_notifications = false WHERE id = $1`, [optedOut]);
    await db.sql.rows(`UPDATE users SET email = 'y@example.test' WHERE id = $1`, [unverified]);
    await db.sql.rows(`UPDATE users SET email_verified_at = now() WHERE id = $1`, [noEmail]);
    // A deleted account (DELETE /auth/me) is notified of nothing, like a banned one.
    const deleted = await db.user();
    await db.sql.rows(`UPDATE users SET deactivated_at = now() WHERE id = $1`, [deleted]);
    const accounts = await repo.accounts([verified, unverified, optedOut, noEmail, banned, author, deleted]);
    expect(Object.fromEntries(accounts.map((a) => [a.id, [a.banned, a.digest]]))).toEqual({
      [deleted]: [true, false],
      [verified]: [false, true],
      [unverified]: [false, false],
      [optedOut]: [false, false],
      [noEmail]: [false, false],
      [banned]: [true, true],
      [author]: [false, false],
    });
    expect(await repo.accounts([])).toEqual([]);
    const id = await channel('public', author, [verified]);
    const messageId = '10000000-0000-4000-8000-' + randomBytes(6).toString('hex');
    const n = { channelId: id, messageId, seq: 7, title: 'a in #b', body: 'hello' };
    await repo.recordForDigest([{ userId: verified, kind: 'mention' }], n);
    await repo.recordForDigest([{ userId: verified, kind: 'reply' }], { ...n, body: 'again' });
    await repo.recordForDigest([], n);
    expect(
      await db.sql.rows(
        `SELECT user_id, channel_id, seq::int AS seq, kind, title, body FROM notifications WHERE message_id = $1`,
        [messageId],
      ),
    ).toEqual([
      { user_id: verified, channel_id: id, seq: 7, kind: 'mention', title: 'a in #b', body: 'hello' },
    ]);
  });
});
