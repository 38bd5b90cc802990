import type { ChannelKind, MemberRole, Role } from '@chat/contracts';

/**
 * What a caller does to a channel:
 * - `see`: know it exists (read it, join it if public);
 * - `read`: its history, catch-up, search, member list, read marker, typing;
 * - `post`: send a message into it;
 * - `upload`: upload a file into it;
 * - `download`: read one of its files (the file, not the channel, is what is asked for);
 * - `moderate`: rename it, set its topic, add members to a private one, remove members, delete
 *   others' messages;
 * - `delete-file`: delete a file someone else uploaded to it.
 */
export type ChannelAction = 'see' | 'read' | 'post' | 'upload' | 'download' | 'moderate' | 'delete-file';

export const CHANNEL_ACTIONS: readonly ChannelAction[] = [
  'see',
  'read',
  'post',
  'upload',
  'download',
  'moderate',
  'delete-file',
];

/** The channel as the rule needs it: its kind and the caller's membership (null: not a member). */
export interface ChannelFacts {
  kind: ChannelKind;
  membership: MemberRole | null;
}

/**
 * Why a refusal: `hidden` (NOT_FOUND: the caller may not know the channel or the file exists),
 * `join-first` (a public channel the caller has not joined), `not-member` (a private channel staff see
 * without being in it), `not-manager` (only the owner, a moderator or an admin), `dm-fixed` (a DM has
 * exactly its two members and no settings), `not-staff` (only a moderator or an admin).
 */
export type AccessRefusal = 'hidden' | 'join-first' | 'not-member' | 'not-manager' | 'dm-fixed' | 'not-staff';

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
 *   a member, who can see the file, is told FORBIDDEN.
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
  }
}
