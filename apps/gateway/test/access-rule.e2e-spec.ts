import type { ChannelKind } from '@chat/contracts';
import { startAuth, type Running } from '../../../test/support/apps';
import {
  ACCESS_CASES,
  CALLER_ROLES,
  CHANNEL_STATES,
  insertChannel,
  statusOf,
  type CallerRole,
  type Membership,
} from '../../../test/support/access-cases';
import { api, closeSql, newUser, sql, startGateway, type TestUser } from '../../../test/support/gateway';

/**
 * The channel access rule through the gateway's HTTP API: every caller role × channel kind ×
 * membership × the actions the gateway serves (see, read, post, moderate), against the one table
 * the media service is tested against too (test/support/access-cases.ts). Channels are written
 * straight to the database so that every state, DMs included, is set up the same way.
 */
describe('gateway: the channel access rule', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  const callers = {} as Record<CallerRole, TestUser>;
  /** Owns the channels the caller does not, and is in every channel. */
  let host: TestUser;
  /** The other side of a DM the caller is not in. */
  let third: TestUser;
  const channels = new Map<string, string>();
  const key = (role: CallerRole, kind: ChannelKind, membership: Membership) =>
    `${role}/${kind}/${membership}`;

  const channel = (kind: ChannelKind, ownerId: string, memberIds: string[]) =>
    insertChannel(sql, kind, ownerId, memberIds);

  /** A message of the host's in the channel, as a send would store it. */
  async function hostMessage(channelId: string): Promise<string> {
    const [{ id }] = await sql<{ id: string }>(
      `WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO messages (channel_id, seq, author_id, body) SELECT $1, c.last_seq, $2, 'hello' FROM c
       RETURNING id`,
      [channelId, host.id],
    );
    return id;
  }

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    gw = await startGateway(auth, { REDIS_URL: '' });
    [host, third, callers.user, callers.moderator, callers.admin] = await Promise.all(
      ['host', 'third', 'user', 'mod', 'admin'].map((p) => newUser(auth.url, p)),
    );
    // Before the callers' first request: services read roles live, cached for a few seconds.
    await sql(`UPDATE users SET roles = '{member,moderator}' WHERE id = $1`, [callers.moderator.id]);
    await sql(`UPDATE users SET roles = '{admin}' WHERE id = $1`, [callers.admin.id]);
    // The one DM none of the callers is in.
    const foreignDm = await channel('dm', host.id, [third.id]);
    for (const role of CALLER_ROLES) {
      const caller = callers[role];
      for (const { kind, membership } of CHANNEL_STATES) {
        const id =
          membership === 'owner'
            ? await channel(kind, caller.id, [host.id])
            : membership === 'member'
              ? await channel(kind, host.id, [caller.id])
              : kind === 'dm'
                ? foreignDm
                : await channel(kind, host.id, []);
        channels.set(key(role, kind, membership), id);
      }
    }
    // Registering five users (argon2) and writing 25 channels is slow on a loaded machine.
  }, 120_000);

  afterAll(async () => {
    await closeSql();
    await gw.close();
    await auth.close();
  });

  const gatewayCases = ACCESS_CASES.filter((c) => ['see', 'read', 'post', 'moderate'].includes(c.action));

  it.each(gatewayCases.map((c) => [c.role, c.kind, c.membership, c.action, c.expected, c] as const))(
    '%s, %s channel, membership %s: %s → %s',
    async (role, kind, membership, action, want) => {
      const as = api(gw.url, callers[role]);
      const id = channels.get(key(role, kind, membership))!;
      const statuses: number[] = [];
      const expected: number[] = [];
      switch (action) {
        case 'see':
          statuses.push((await as('GET', `/channels/${id}`)).status);
          expected.push(statusOf(want, 200));
          break;
        case 'read':
          statuses.push((await as('GET', `/channels/${id}/messages`)).status);
          statuses.push((await as('GET', `/channels/${id}/members`)).status);
          expected.push(statusOf(want, 200), statusOf(want, 200));
          break;
        case 'post':
          statuses.push((await as('POST', `/channels/${id}/messages`, { body: 'hi' })).status);
          expected.push(statusOf(want, 201));
          break;
        case 'moderate': {
          statuses.push((await as('PATCH', `/channels/${id}`, { topic: 'moderated' })).status);
          statuses.push((await as('DELETE', `/messages/${await hostMessage(id)}`)).status);
          expected.push(statusOf(want, 200), statusOf(want, 204));
          break;
        }
      }
      expect(statuses).toEqual(expected);
    },
  );
});
