import { UserStatusRepository, USER_STATUS_NAME } from '../../../libs/security/src/user-status.repository';
import { openSql, uniqueChannelName, type TestSql } from '../../../test/support/repository';
import { ChannelsRepository, MEMBER_CHANNELS_NAME } from '../src/channels/channels.repository';
import { INSERT_BATCH_NAME, MessagesRepository } from '../src/messages/messages.repository';
import { CANDIDATES_NAME, NotificationsRepository } from '../src/notifications/notifications.repository';

/**
 * The statements every message or handshake runs are planned once per connection, not once per run
 * (libs/database `unseen`): after Postgres's five custom plans it keeps the generic one. Without
 * that, a quiet server's Postgres spent more CPU planning its message writes than running them.
 * What Postgres did is read from `pg_prepared_statements`, which is per connection: the pool has one.
 */
describe('Hot statements are planned once per connection (real Postgres)', () => {
  let db: TestSql;
  let ann: string;
  let bob: string;
  let channels: string[];

  beforeAll(async () => {
    db = await openSql(1);
    [ann, bob] = [await db.user(), await db.user()];
    const repo = new ChannelsRepository(db.sql);
    channels = [];
    for (let i = 0; i < 3; i++) {
      const id = (await repo.createChannel(uniqueChannelName(), 'private', '', ann))!;
      await repo.addMember(id, bob);
      channels.push(id);
    }
  });
  afterAll(() => db.close());

  /** How often Postgres ran `name`'s generic and custom plans on the pool's connection. */
  const plansOf = async (name: string) =>
    db.sql.one<{ generic: number; custom: number }>(
      `SELECT generic_plans::int AS generic, custom_plans::int AS custom FROM pg_prepared_statements WHERE name = $1`,
      [name],
    );

  // Batches of one to three elements, as a quiet server's are: an array's real length is what used
  // to make every custom plan look cheaper than the generic one.
  const sizes = [1, 2, 1, 3, 1, 2, 1, 1, 2, 1];

  it('the message write', async () => {
    const messages = new MessagesRepository(db.sql);
    for (const [run, n] of sizes.entries()) {
      const rows = await messages.insertAcross(
        channels
          .slice(0, n)
          .map((channelId) => ({ channelId, authorId: bob, body: `run ${run}`, clientId: null })),
      );
      expect(rows.every((r) => r.seq !== null)).toBe(true);
    }
    expect(await plansOf(INSERT_BATCH_NAME.plain)).toEqual({ custom: 5, generic: sizes.length - 5 });
  });

  it('the notification candidates', async () => {
    const notifications = new NotificationsRepository(db.sql);
    for (const n of sizes) {
      const found = await notifications.candidates(
        channels.slice(0, n).map((channelId) => ({
          channelId,
          authorId: ann,
          mentionedIds: [bob],
          everyone: false,
          threadId: null,
        })),
      );
      // bob is mentioned in each: the statement still answers what it did.
      expect(found.map((rows) => rows.map((r) => [r.user_id, r.mentioned]))).toEqual(
        channels.slice(0, n).map(() => [[bob, true]]),
      );
    }
    expect(await plansOf(CANDIDATES_NAME)).toEqual({ custom: 5, generic: sizes.length - 5 });
  });

  it("the handshake's channel list and user status", async () => {
    const repo = new ChannelsRepository(db.sql);
    const status = new UserStatusRepository(db.sql);
    for (const n of sizes) {
      const ids = [ann, bob, ann].slice(0, n);
      expect((await repo.memberChannelIdsOfMany(ids)).get(bob)?.sort() ?? []).toEqual(
        ids.includes(bob) ? [...channels].sort() : [],
      );
      expect((await status.statusOfMany(ids)).get(ann)?.banned).toBe(false);
    }
    expect(await plansOf(MEMBER_CHANNELS_NAME)).toEqual({ custom: 5, generic: sizes.length - 5 });
    expect(await plansOf(USER_STATUS_NAME)).toEqual({ custom: 5, generic: sizes.length - 5 });
  });
});
