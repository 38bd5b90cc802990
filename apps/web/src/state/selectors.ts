import type { Channel, Member, Message, User } from '@chat/contracts';
import type { ChatState } from './store';

/**
 * Derived data for the UI. Each takes the whole snapshot and returns a plain value or a stored
 * object, so a component selecting through one re-renders only when the answer changes.
 */

export const isStaff = (u: User) => u.roles.includes('admin') || u.roles.includes('moderator');

/** The caller's channel role, for what the UI offers (the server decides in the end). */
export function myChannelRole(state: ChatState, channelId: string): 'owner' | 'member' | null {
  return state.members[channelId]?.find((m) => m.userId === state.me.id)?.role ?? null;
}

export function canModerate(state: ChatState, channelId: string): boolean {
  return isStaff(state.me) || myChannelRole(state, channelId) === 'owner';
}

export function canInvite(state: ChatState, channel: Channel): boolean {
  if (channel.kind === 'dm') return false;
  return channel.kind === 'public' || canModerate(state, channel.id);
}

/** Its author may delete a message, and so may whoever moderates its channel (`canModerate`). */
export function canDeleteMessage(m: Message, myUserId: string, moderator: boolean): boolean {
  return m.author.id === myUserId || moderator;
}

/** Online: live presence events first, then the member list's flag; ourselves while connected. */
export function isOnline(state: ChatState, userId: string, listed = false): boolean {
  if (userId === state.me.id) return state.connection === 'live';
  return state.presence[userId] ?? listed;
}

/** The other person of a DM (its member list is loaded for the sidebar). */
export function dmPartner(state: ChatState, channelId: string): Member | undefined {
  return state.members[channelId]?.find((m) => m.userId !== state.me.id);
}

/**
 * Who may pin (docs/socket-protocol.md "Pins"): any member of a public channel, and staff; the
 * owner and staff in a private channel; both people of a DM (a DM has no owner).
 */
export function canPin(state: ChatState, channel: Channel): boolean {
  if (channel.kind === 'dm') return true;
  if (channel.kind === 'public') return myChannelRole(state, channel.id) !== null || isStaff(state.me);
  return canModerate(state, channel.id);
}

/** Who may edit the topic (PATCH /channels/:id): owner, moderator or admin; not in a DM. */
export function canEditTopic(state: ChatState, channel: Channel): boolean {
  return channel.kind !== 'dm' && canModerate(state, channel.id);
}
