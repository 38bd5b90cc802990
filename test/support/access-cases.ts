import { randomBytes } from 'node:crypto';
import type { ChannelKind } from '@chat/contracts';
import { CHANNEL_ACTIONS, type ChannelAction } from '@chat/domain';

/**
 * The channel access rule written out as a table, the way the contract states it: what each caller
 * gets for each action. The rule (@chat/domain `channelAccess`) and both services (gateway and
 * media, through HTTP) are tested against this one table.
 */

/** A plain user, or staff (moderators and admins are listed separately: both must hold). */
export type CallerRole = 'user' | 'moderator' | 'admin';
export const CALLER_ROLES: readonly CallerRole[] = ['user', 'moderator', 'admin'];

/** The caller's membership in the channel. DMs have no owner. */
export type Membership = 'none' | 'member' | 'owner';

export type Expected = 'allow' | 'FORBIDDEN' | 'NOT_FOUND';

/**
 * One letter per action, in CHANNEL_ACTIONS order: see, read, post, upload, download, moderate,
 * delete-file | join, add-member, archive, administer.
 */
const TABLE: Record<string, { user: string; staff: string }> = {
  'public/none': { user: 'A F F F N F N  A F F F', staff: 'A F F F N A A  A A A A' },
  'public/member': { user: 'A A A A A F F  A A F F', staff: 'A A A A A A A  A A A A' },
  'public/owner': { user: 'A A A A A A F  A A A F', staff: 'A A A A A A A  A A A A' },
  'private/none': { user: 'N N N N N N N  N N N N', staff: 'A F F F N A A  N A A A' },
  'private/member': { user: 'A A A A A F F  A F F F', staff: 'A A A A A A A  A A A A' },
  'private/owner': { user: 'A A A A A A F  A A A F', staff: 'A A A A A A A  A A A A' },
  'dm/none': { user: 'N N N N N N N  N N N N', staff: 'N N N N N N N  N N N N' },
  'dm/member': { user: 'A A A A A F F  A F F F', staff: 'A A A A A F F  A F F F' },
};

/**
 * The same for an archived channel (read-only; a DM is never archived): posting, uploading,
 * moderating, joining and adding members are FORBIDDEN to whoever may see it.
 */
const ARCHIVED_TABLE: Record<string, { user: string; staff: string }> = {
  'public/none': { user: 'A F F F N F N  F F F F', staff: 'A F F F N F A  F F A A' },
  'public/member': { user: 'A A F F A F F  F F F F', staff: 'A A F F A F A  F F A A' },
  'public/owner': { user: 'A A F F A F F  F F A F', staff: 'A A F F A F A  F F A A' },
  'private/none': { user: 'N N N N N N N  N N N N', staff: 'A F F F N F A  N F A A' },
  'private/member': { user: 'A A F F A F F  F F F F', staff: 'A A F F A F A  F F A A' },
  'private/owner': { user: 'A A F F A F F  F F A F', staff: 'A A F F A F A  F F A A' },
};

const LETTER: Record<string, Expected> = { A: 'allow', F: 'FORBIDDEN', N: 'NOT_FOUND' };

export interface AccessCase {
  role: CallerRole;
  kind: ChannelKind;
  membership: Membership;
  action: ChannelAction;
  expected: Expected;
  archived: boolean;
}

/** Every (kind, membership) a channel can be in for its caller. */
export const CHANNEL_STATES: readonly { kind: ChannelKind; membership: Membership }[] = Object.keys(
  TABLE,
).map((key) => {
  const [kind, membership] = key.split('/') as [ChannelKind, Membership];
  return { kind, membership };
});

/** Every (kind, membership) an archived channel can be in for its caller. */
export const ARCHIVED_CHANNEL_STATES: readonly { kind: ChannelKind; membership: Membership }[] =
  CHANNEL_STATES.filter(({ kind }) => kind !== 'dm');

export function expected(
  role: CallerRole,
  kind: ChannelKind,
  membership: Membership,
  action: ChannelAction,
  archived = false,
): Expected {
  const row = (archived ? ARCHIVED_TABLE : TABLE)[`${kind}/${membership}`];
  const letters = (role === 'user' ? row.user : row.staff).split(/ +/);
  return LETTER[letters[CHANNEL_ACTIONS.indexOf(action)]];
}

function casesOf(
  states: readonly { kind: ChannelKind; membership: Membership }[],
  archived: boolean,
): AccessCase[] {
  return CALLER_ROLES.flatMap((role) =>
    states.flatMap(({ kind, membership }) =>
      CHANNEL_ACTIONS.map((action) => ({
        role,
        kind,
        membership,
        action,
        expected: expected(role, kind, membership, action, archived),
        archived,
      })),
    ),
  );
}

/** Every role × channel kind × membership × action of a live channel, with its expected answer. */
export const ACCESS_CASES: readonly AccessCase[] = casesOf(CHANNEL_STATES, false);

/** The same for archived channels (public and private). */
export const ARCHIVED_ACCESS_CASES: readonly AccessCase[] = casesOf(ARCHIVED_CHANNEL_STATES, true);

/** The HTTP status an answer comes back with, for `allowStatus` on success. */
export function statusOf(answer: Expected, allowStatus: number): number {
  return answer === 'allow' ? allowStatus : answer === 'FORBIDDEN' ? 403 : 404;
}

/** Runs one SQL statement on the test database (the gateway's or media's test helper). */
export type RunSql = <T = unknown>(text: string, params?: unknown[]) => Promise<T[]>;

/**
 * A channel in any state, written straight to the database so that every state, DMs included, is
 * set up the same way for both services: owned by `ownerId` (a plain member of a DM), with
 * `memberIds` as members.
 */
export async function insertChannel(
  sql: RunSql,
  kind: ChannelKind,
  ownerId: string,
  memberIds: string[],
): Promise<string> {
  const [{ id }] = await sql<{ id: string }>(
    `INSERT INTO channels (name, kind, created_by, dm_key) VALUES ($1, $2, $3, $4) RETURNING id`,
    kind === 'dm'
      ? ['', 'dm', ownerId, [ownerId, ...memberIds].sort().join(':')]
      : [`acl-${randomBytes(5).toString('hex')}`, kind, ownerId, null],
  );
  await sql(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, $3)`, [
    id,
    ownerId,
    kind === 'dm' ? 'member' : 'owner',
  ]);
  for (const userId of memberIds)
    await sql(`INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2)`, [id, userId]);
  return id;
}
