import type { ChannelKind, MemberRole, Role } from '@chat/contracts';

/**
 * What a caller does to a channel:
 * - `see`: know it exists;
 * - `read`: its history, catch-up, search, member list, read marker, typing;
 * - `post`: send a message into it, edit or delete their own, react, pin where members may;
 * - `upload`: upload a file into it;
 * - `download`: read one of its files (the file, not the channel, is what is asked for);
 * - `moderate`: rename it, set its topic, pin elsewhere, remove members, delete others' messages,
 *   manage its webhooks;
 * - `delete-file`: delete a file someone else uploaded to it;
 * - `join`: join a public channel (a member "joins" any channel they are in, idempotently);
 * - `add-member`: add someone (any member of a public channel; the owner, moderators and admins of
 *   a private one);
 * - `archive`: make it read-only (the owner, moderators and admins);
 * - `administer`: unarchive it, hand it to another owner (moderators and admins only).
 */
export type ChannelAction =
  | 'see'
  | 'read'
  | 'post'
  | 'upload'
  | 'download'
  | 'moderate'
  | 'delete-file'
  | 'join'
  | 'add-member'
  | 'archive'
  | 'administer';

export const CHANNEL_ACTIONS: readonly ChannelAction[] = [
  'see',
  'read',
  'post',
  'upload',
  'download',
  'moderate',
  'delete-file',
  'join',
  'add-member',
  'archive',
  'administer',
];

/**
 * The channel as the rule needs it: its kind, the caller's membership (null: not a member) and
 * whether it is archived (read-only).
 */
export interface ChannelFacts {
  kind: ChannelKind;
  membership: MemberRole | null;
  archived: boolean;
}

/**
 * Why a refusal: `hidden` (NOT_FOUND: the caller may not know the channel or the file exists),
 * `join-first` (a public channel the caller has not joined), `not-member` (a private channel staff see
 * without being in it), `not-manager` (only the owner, a moderator or an admin), `dm-fixed` (a DM has
 * exactly its two members and no settings), `not-staff` (only a moderator or an admin), `archived`
 * (the channel is read-only).
 */
export type AccessRefusal =
  'hidden' | 'join-first' | 'not-member' | 'not-manager' | 'dm-fixed' | 'not-staff' | 'archived';

export type AccessVerdict =
  | { allowed: true }
  | { allowed: false; code: 'NOT_FOUND'; reason: 'hidden' }
  | { allowed: false; code: 'FORBIDDEN'; reason: Exclude<AccessRefusal, 'hidden'> };

const ALLOW: AccessVerdict = { allowed: true };
const HIDDEN: AccessVerdict = { allowed: false, code: 'NOT_FOUND', reason: 'hidden' };
const forbid = (reason: Exclude<AccessRefusal, 'hidden'>): AccessVerdict => ({
  allowed: false,
  code: 'FORBIDDEN',
  reason,
});

/** What an archived channel refuses to everyone who may see it: every change to it or its content. */
const WRITES: ReadonlySet<ChannelAction> = new Set<ChannelAction>([
  'post',
  'upload',
  'moderate',
  'join',
  'add-member',
]);

/** Moderators and admins keep order: they see and manage every channel except DMs. */
export function isStaffRole(roles: readonly Role[]): boolean {
  return roles.includes('admin') || roles.includes('moderator');
}

/**
 * The one channel access rule, for the gateway and media alike (CONTRACT.md "Errors", the REST
 * tables, docs/socket-protocol.md "Authorization"):
 * - a public channel is visible to everyone; a private one to its members and to staff; a DM to its
 *   two members only. Whatever the caller may not see answers NOT_FOUND, so existence does not leak;
 *   `channel` null (no such channel) answers exactly the same;
 * - reading, posting and uploading take membership: FORBIDDEN where the channel is visible;
 * - a file is readable by the channel's members only: to anyone else it does not exist (its uploader
 *   keeps it, which is the file's rule, not the channel's);
 * - moderating takes the owner, a moderator or an admin, and never applies to a DM;
 * - deleting someone else's file takes a moderator or an admin (CONTRACT.md `DELETE /files/:id`);
 *   a member, who can see the file, is told FORBIDDEN;
 * - an archived channel is read-only: posting, uploading, moderating, joining and adding members
 *   answer FORBIDDEN `archived` to whoever may see it; reading, downloading, archiving (again) and
 *   administering still work.
 */
export function channelAccess(
  roles: readonly Role[],
  channel: ChannelFacts | null,
  action: ChannelAction,
): AccessVerdict {
  if (!channel) return HIDDEN;
  const staff = isStaffRole(roles);
  const member = channel.membership !== null;
  const visible = member || channel.kind === 'public' || (channel.kind === 'private' && staff);
  if (!visible) return HIDDEN;
  // Read-only, whoever asks. A private channel is never open to join, archived or not.
  if (channel.archived && WRITES.has(action) && (action !== 'join' || channel.kind === 'public' || member))
    return forbid('archived');
  switch (action) {
    case 'see':
      return ALLOW;
    case 'read':
    case 'post':
    case 'upload':
      if (member) return ALLOW;
      return forbid(channel.kind === 'public' ? 'join-first' : 'not-member');
    case 'download':
      return member ? ALLOW : HIDDEN;
    case 'moderate':
      if (channel.kind === 'dm') return forbid('dm-fixed');
      if (channel.membership === 'owner' || staff) return ALLOW;
      return forbid('not-manager');
    case 'delete-file':
      if (channel.kind !== 'dm' && staff) return ALLOW;
      return member ? forbid('not-staff') : HIDDEN;
    case 'join':
      // Only a public channel is open to join; a private one or a DM "joins" its own members only.
      return channel.kind === 'public' || member ? ALLOW : HIDDEN;
    case 'add-member':
      if (channel.kind === 'dm') return forbid('dm-fixed');
      if (channel.kind === 'public') return member || staff ? ALLOW : forbid('join-first');
      if (channel.membership === 'owner' || staff) return ALLOW;
      return forbid('not-manager');
    case 'archive':
      if (channel.kind === 'dm') return forbid('dm-fixed');
      if (channel.membership === 'owner' || staff) return ALLOW;
      return forbid('not-manager');
    case 'administer':
      if (channel.kind === 'dm') return forbid('dm-fixed');
      return staff ? ALLOW : forbid('not-staff');
  }
}
