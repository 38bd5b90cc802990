import type { Member, MemberEvent, PresenceEvent } from '@chat/contracts';
import type { RestPort } from '../ports';
import { Slice } from './slice';

export interface MembersState {
  members: Record<string, Member[] | undefined>;
  /** Live presence from `presence` events, over the `online` flag of member lists. */
  presence: Record<string, boolean>;
}

/** Member lists of the channels looked at (and of every DM, for the sidebar), and presence. */
export class MembersSlice extends Slice<MembersState> {
  constructor(
    private readonly rest: RestPort,
    private readonly now: () => number,
    changed: () => void,
  ) {
    super({ members: {}, presence: {} }, changed);
  }

  list(channelId: string): Member[] | undefined {
    return this.state.members[channelId];
  }

  async load(channelId: string): Promise<Member[]> {
    const list = await this.rest.members(channelId);
    const presence = { ...this.state.presence };
    for (const m of list) presence[m.userId] = m.online;
    this.set({ members: { ...this.state.members, [channelId]: list }, presence });
    return list;
  }

  /** The server's answer to a subscription: of `followed`, exactly `online` are online now. */
  onPresenceList(followed: string[], online: string[]): void {
    const on = new Set(online);
    const changed = followed.filter((id) => this.state.presence[id] !== on.has(id));
    if (changed.length === 0) return;
    const presence = { ...this.state.presence };
    for (const id of changed) presence[id] = on.has(id);
    this.set({ presence });
  }

  onPresence(e: PresenceEvent): void {
    if (this.state.presence[e.userId] === e.online) return;
    this.set({ presence: { ...this.state.presence, [e.userId]: e.online } });
  }

  /** A member:joined or member:left push, applied to the list if we hold it. */
  onMembership(e: MemberEvent, joined: boolean): void {
    const list = this.state.members[e.channelId];
    if (!list) return;
    const next = joined
      ? list.some((m) => m.userId === e.userId)
        ? list
        : [
            ...list,
            {
              userId: e.userId,
              username: e.username,
              role: 'member' as const,
              online: this.state.presence[e.userId] ?? false,
              // The push does not say; the full list asked for below does.
              bot: false,
              joinedAt: new Date(this.now()).toISOString(),
            },
          ]
      : list.filter((m) => m.userId !== e.userId);
    if (next !== list) this.set({ members: { ...this.state.members, [e.channelId]: next } });
    // The push says who, not their role or whether they are online: ask for the full list.
    if (joined) void this.load(e.channelId).catch(() => undefined);
  }

  /** The server's copy of a member we added; says whether the list already had them. */
  added(channelId: string, m: Member): boolean {
    const list = this.state.members[channelId] ?? [];
    const known = list.some((x) => x.userId === m.userId);
    // The server's copy wins over the one a member:joined push may have added meanwhile.
    this.set({
      members: {
        ...this.state.members,
        [channelId]: known ? list.map((x) => (x.userId === m.userId ? m : x)) : [...list, m],
      },
      presence: { ...this.state.presence, [m.userId]: m.online },
    });
    return known;
  }

  /** A member we removed; says whether the list had them. */
  removed(channelId: string, userId: string): boolean {
    const list = this.state.members[channelId];
    if (!list?.some((m) => m.userId === userId)) return false;
    this.set({ members: { ...this.state.members, [channelId]: list.filter((m) => m.userId !== userId) } });
    return true;
  }

  forget(channelId: string): void {
    if (!(channelId in this.state.members)) return;
    const { [channelId]: _gone, ...members } = this.state.members;
    this.set({ members });
  }
}
