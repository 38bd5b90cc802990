import { Injectable } from '@nestjs/common';
import type { Channel, Member } from '@chat/contracts';
import type { ChannelPreferencesDto, CreateChannelDto, UpdateChannelDto } from '@chat/contracts/dto';
import { escapeLike } from '@chat/database';
import { turnBatches } from '@chat/platform';
import { AuditRepository, type AuditContext, type Principal } from '@chat/security';
import { SocketHub } from '../infra/socket-hub';
import { PresenceService } from '../presence/presence.service';
import { UsersService } from '../users/users.service';
import { ChannelAccess } from './channel-access';
import { defaultNotifyLevel, toChannelDto, toMemberDto } from './channel.mapper';
import { ChannelErrors } from './channels.errors';
import { ChannelsRepository } from './channels.repository';

const BROWSE_LIMIT = 200;
/** The fields of a Channel that differ from one member to the next. */
type PerMember = 'unreadCount' | 'mentionCount' | 'notify' | 'muted';
/** Users whose channels one statement reads at most, when many sockets connect at once. */
const ROOMS_BATCH_MAX = 500;

/**
 * Channels, memberships and read markers. Every change is committed first, then pushed: room
 * moves and events go through the socket hub, so they reach the user's sockets on every replica.
 */
@Injectable()
export class ChannelsService {
  /** Handshakes of the same event-loop turn read their users' channels in one statement. */
  private readonly roomsOf = turnBatches<string, string[]>(
    async (userIds) => {
      const found = await this.channels.memberChannelIdsOfMany(userIds);
      return userIds.map((id) => found.get(id) ?? []);
    },
    { maxBatchSize: ROOMS_BATCH_MAX },
  );

  constructor(
    private readonly channels: ChannelsRepository,
    private readonly access: ChannelAccess,
    private readonly users: UsersService,
    private readonly hub: SocketHub,
    private readonly presence: PresenceService,
    private readonly audit: AuditRepository,
  ) {}

  /** The caller's channels and DMs: public and private channels by name, then DMs by name. */
  async listMine(user: Principal): Promise<Channel[]> {
    const rows = await this.channels.listForMember(user.id);
    return rows
      .map(toChannelDto)
      .sort((a, b) => Number(a.kind === 'dm') - Number(b.kind === 'dm') || a.name.localeCompare(b.name));
  }

  /** Ids of the user's channels: the rooms a new socket joins. */
  memberChannelIds(userId: string): Promise<string[]> {
    return this.roomsOf.load(userId);
  }

  async create(user: Principal, dto: CreateChannelDto): Promise<Channel> {
    const id = await this.channels.createChannel(dto.name, dto.kind, dto.topic ?? '', user.id);
    if (!id) throw ChannelErrors.nameTaken();
    const channel = await this.channelFor(user.id, id);
    this.hub.addToChannel(user.id, id);
    this.hub.toUsers([user.id], 'channel:joined', channel);
    return channel;
  }

  /** Public channels whose name contains `q` (case-insensitive), by name. */
  async browse(user: Principal, q: string | undefined): Promise<Channel[]> {
    const pattern = `%${escapeLike((q ?? '').trim().toLowerCase())}%`;
    return (await this.channels.browsePublic(user.id, pattern, BROWSE_LIMIT)).map(toChannelDto);
  }

  async get(user: Principal, channelId: string): Promise<Channel> {
    await this.access.visible(user, channelId);
    return this.channelFor(user.id, channelId);
  }

  async update(user: Principal, channelId: string, dto: UpdateChannelDto): Promise<Channel> {
    await this.access.check(user, channelId, 'moderate');
    if (dto.name !== undefined || dto.topic !== undefined) {
      if (!(await this.channels.updateSettings(channelId, dto.name ?? null, dto.topic ?? null)))
        throw ChannelErrors.nameTaken();
      await this.announceUpdate(channelId);
    }
    return this.channelFor(user.id, channelId);
  }

  /**
   * Public channels: joins (idempotently). Private channels and DMs: only a member gets them back.
   * Archived channels: nobody (the access rule's `join`).
   */
  async join(user: Principal, channelId: string): Promise<Channel> {
    const ref = await this.access.check(user, channelId, 'join');
    if (!ref.role) await this.insertMember(channelId, user.id);
    return this.channelFor(user.id, channelId);
  }

  async leave(user: Principal, channelId: string): Promise<void> {
    const ref = await this.access.visible(user, channelId);
    if (ref.kind === 'dm') throw ChannelErrors.dmFixed();
    await this.deleteMember(channelId, user.id);
  }

  async members(user: Principal, channelId: string): Promise<Member[]> {
    await this.access.member(user, channelId);
    const rows = await this.channels.members(channelId);
    const online = await this.presence.online(rows.map((r) => r.user_id));
    return rows.map((r) => toMemberDto(r, online.has(r.user_id)));
  }

  /** Idempotent: adding a member again answers the existing membership. */
  async addMember(user: Principal, channelId: string, targetId: string): Promise<Member> {
    await this.access.check(user, channelId, 'add-member');
    if (!(await this.users.isActive(targetId))) throw ChannelErrors.userNotFound();
    await this.insertMember(channelId, targetId);
    const row = await this.channels.member(channelId, targetId);
    if (!row) throw ChannelErrors.userNotFound();
    const online = await this.presence.online([targetId]);
    return toMemberDto(row, online.has(targetId));
  }

  /**
   * Owners, moderators and admins remove members (audited with `context`; null when the removal
   * is part of an action audited as a whole, a webhook's revocation); anyone may remove
   * themselves (leave).
   */
  async removeMember(
    user: Principal,
    channelId: string,
    targetId: string,
    context: AuditContext | null,
  ): Promise<void> {
    if (targetId === user.id) return this.leave(user, channelId);
    await this.access.check(user, channelId, 'moderate');
    await this.deleteMember(channelId, targetId, context && { actor: user, context });
  }

  /**
   * Moves the read marker forward to `seq` (capped at the channel's last message; never backwards,
   * so a late acknowledgement from another tab cannot mark messages unread again). The caller's
   * other sockets get `channel:updated` with the new unread count.
   */
  async markRead(user: Principal, channelId: string, seq: number): Promise<void> {
    await this.access.member(user, channelId);
    if (await this.channels.moveReadMarker(channelId, user.id, seq))
      this.hub.toUsers([user.id], 'channel:updated', await this.channelFor(user.id, channelId));
  }

  /**
   * The caller's notification level and mute here (members only). A level equal to the channel
   * kind's default is stored as the default (NULL), so the partial index that notifying reads
   * holds only members who differ from it. The caller's other sockets get `channel:updated`;
   * nobody else's Channel changes.
   */
  async setPreferences(user: Principal, channelId: string, prefs: ChannelPreferencesDto): Promise<Channel> {
    // null is what IsOptional lets through as "absent": it neither sets nor resets anything.
    const level = prefs.notify ?? null;
    const muted = prefs.muted ?? null;
    if (level === null && muted === null) throw ChannelErrors.noPreferences();
    const ref = await this.access.member(user, channelId);
    const stored = level === defaultNotifyLevel(ref.kind) ? null : level;
    if (!(await this.channels.setPreferences(channelId, user.id, level !== null, stored, muted)))
      throw ChannelErrors.notFound();
    const channel = await this.channelFor(user.id, channelId);
    this.hub.toUsers([user.id], 'channel:updated', channel);
    return channel;
  }

  /** The one DM between the caller and `targetId`, created on first use; safe against concurrent calls. */
  async openDm(user: Principal, targetId: string): Promise<Channel> {
    if (targetId === user.id) throw ChannelErrors.dmWithSelf();
    const dmKey = [user.id, targetId].sort().join(':');
    // A banned or unknown user gets no new DM; one that exists already is still theirs to open.
    const created = await this.channels.openDm(user.id, targetId, dmKey, await this.users.isActive(targetId));
    if (!created) throw ChannelErrors.userNotFound();
    if (created.isNew) {
      for (const memberId of [user.id, targetId]) {
        this.hub.addToChannel(memberId, created.id);
        this.hub.toUsers([memberId], 'channel:joined', await this.channelFor(memberId, created.id));
      }
    }
    return this.channelFor(user.id, created.id);
  }

  /** The channel as `viewerId` sees it. */
  async channelFor(viewerId: string, channelId: string): Promise<Channel> {
    const row = await this.channels.forViewer(viewerId, channelId);
    if (!row) throw ChannelErrors.notFound();
    return toChannelDto(row);
  }

  /**
   * Adds a membership if absent (read marker at the newest message: joining does not bring a
   * backlog of unread messages) and tells everyone: the channel's members, then the new member's
   * sockets, which are moved into the room on whichever replica they are.
   */
  private async insertMember(channelId: string, userId: string): Promise<void> {
    const username = await this.channels.addMember(channelId, userId);
    if (username === null) return;
    this.hub.toChannel(channelId, 'member:joined', { channelId, userId, username });
    this.hub.addToChannel(userId, channelId);
    this.hub.toUsers([userId], 'channel:joined', await this.channelFor(userId, channelId));
  }

  /**
   * Removes a membership if present: the user's sockets leave the room at once, then everyone is
   * told. Removed `by` someone else, the removal and its audit record commit together.
   */
  private async deleteMember(
    channelId: string,
    userId: string,
    by?: { actor: Principal; context: AuditContext } | null,
  ): Promise<void> {
    const username = await this.channels.transaction(async (tx, sql) => {
      const removed = await tx.removeMember(channelId, userId);
      if (removed !== null && by)
        await this.audit.append(sql, {
          actor: { id: by.actor.id, username: by.actor.username },
          action: 'member.removed',
          target: { type: 'user', id: userId, name: removed },
          details: { channelId },
          context: by.context,
        });
      return removed;
    });
    if (username === null) return;
    this.hub.removeFromChannel(userId, channelId);
    this.hub.toUsers([userId], 'channel:left', { channelId });
    this.hub.toChannel(channelId, 'member:left', { channelId, userId, username });
  }

  /**
   * `channel:updated` to every member with their own unread count and notification preferences
   * (after a rename, a topic change, an archival, a new owner). Members are grouped by those, so a
   * large channel costs a handful of broadcasts, not one per member.
   */
  async announceUpdate(channelId: string): Promise<void> {
    const rows = await this.channels.unreadCounts(channelId);
    if (rows.length === 0) return;
    const base = await this.channelFor(rows[0].user_id, channelId);
    // Per member: one push per distinct (unread, mentions, level, muted).
    const groups = new Map<string, { view: Pick<Channel, PerMember>; userIds: string[] }>();
    for (const r of rows) {
      const view = {
        unreadCount: r.unread_count,
        mentionCount: r.mention_count,
        notify: r.notify ?? defaultNotifyLevel(base.kind),
        muted: r.muted,
      };
      const key = `${view.unreadCount}/${view.mentionCount}/${view.notify}/${view.muted}`;
      const group = groups.get(key) ?? { view, userIds: [] };
      group.userIds.push(r.user_id);
      groups.set(key, group);
    }
    for (const { view, userIds } of groups.values()) {
      this.hub.toUsers(userIds, 'channel:updated', { ...base, ...view });
    }
  }
}
