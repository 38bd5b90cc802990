import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Channel, Member } from '@chat/contracts';
import type { CreateChannelDto, UpdateChannelDto } from '@chat/contracts/dto';
import { isUniqueViolation } from '@chat/database';
import type { Principal } from '@chat/security';
import { SocketHub } from '../infra/socket-hub';
import { escapeLike, returning } from '../infra/sql';
import { PresenceService } from '../presence/presence.service';
import { ChannelAccess, type ChannelRef } from './channel-access';
import { toChannelDto, toMemberDto, type ChannelRow, type MemberRow } from './channel.mapper';
import { ChannelErrors } from './channels.errors';
import { CHANNEL_SELECT } from './channels.queries';

const BROWSE_LIMIT = 200;

/**
 * Channels, memberships and read markers. Every change is committed first, then pushed: room
 * moves and events go through the socket hub, so they reach the user's sockets on every replica.
 */
@Injectable()
export class ChannelsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly access: ChannelAccess,
    private readonly hub: SocketHub,
    private readonly presence: PresenceService,
  ) {}

  /** The caller's channels and DMs: public and private channels by name, then DMs by name. */
  async listMine(user: Principal): Promise<Channel[]> {
    const rows: ChannelRow[] = await this.db.query(`${CHANNEL_SELECT} WHERE m.user_id = $1`, [user.id]);
    return rows
      .map(toChannelDto)
      .sort((a, b) => Number(a.kind === 'dm') - Number(b.kind === 'dm') || a.name.localeCompare(b.name));
  }

  /** Ids of the user's channels: the rooms a new socket joins. */
  async memberChannelIds(userId: string): Promise<string[]> {
    const rows: { channel_id: string }[] = await this.db.query(
      'SELECT channel_id FROM memberships WHERE user_id = $1',
      [userId],
    );
    return rows.map((r) => r.channel_id);
  }

  async create(user: Principal, dto: CreateChannelDto): Promise<Channel> {
    const id = await this.db.transaction(async (tx) => {
      // The only unique index a new public or private channel can hit is the public-name one.
      const [row] = await tx.query<{ id: string }[]>(
        `INSERT INTO channels (name, kind, topic, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING id`,
        [dto.name, dto.kind, dto.topic ?? '', user.id],
      );
      if (!row) throw ChannelErrors.nameTaken();
      await tx.query(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, 'owner')`, [
        row.id,
        user.id,
      ]);
      return row.id;
    });
    const channel = await this.channelFor(user.id, id);
    this.hub.addToChannel(user.id, id);
    this.hub.toUsers([user.id], 'channel:joined', channel);
    return channel;
  }

  /** Public channels whose name contains `q` (case-insensitive), by name. */
  async browse(user: Principal, q: string | undefined): Promise<Channel[]> {
    const pattern = `%${escapeLike((q ?? '').trim().toLowerCase())}%`;
    const rows: ChannelRow[] = await this.db.query(
      `${CHANNEL_SELECT} WHERE c.kind = 'public' AND lower(c.name) LIKE $2 ESCAPE '\\'
        ORDER BY lower(c.name) LIMIT ${BROWSE_LIMIT}`,
      [user.id, pattern],
    );
    return rows.map(toChannelDto);
  }

  async get(user: Principal, channelId: string): Promise<Channel> {
    await this.access.visible(user, channelId);
    return this.channelFor(user.id, channelId);
  }

  async update(user: Principal, channelId: string, dto: UpdateChannelDto): Promise<Channel> {
    const ref = await this.access.visible(user, channelId);
    if (ref.kind === 'dm') throw ChannelErrors.dmFixed();
    if (!this.access.canManage(user, ref)) throw ChannelErrors.notManager();
    if (dto.name !== undefined || dto.topic !== undefined) {
      try {
        await this.db.query(
          `UPDATE channels SET name = COALESCE($2, name), topic = COALESCE($3, topic) WHERE id = $1`,
          [channelId, dto.name ?? null, dto.topic ?? null],
        );
      } catch (err) {
        if (isUniqueViolation(err, 'channels_public_name_key')) throw ChannelErrors.nameTaken();
        throw err;
      }
      await this.announceUpdate(channelId);
    }
    return this.channelFor(user.id, channelId);
  }

  /** Public channels: joins (idempotently). Private channels and DMs: only a member gets them back. */
  async join(user: Principal, channelId: string): Promise<Channel> {
    const ref = await this.access.visible(user, channelId);
    if (ref.kind !== 'public') {
      if (!ref.role) throw ChannelErrors.notFound();
      return this.channelFor(user.id, channelId);
    }
    if (!ref.role) await this.insertMember(this.db.manager, channelId, user.id);
    return this.channelFor(user.id, channelId);
  }

  async leave(user: Principal, channelId: string): Promise<void> {
    const ref = await this.access.visible(user, channelId);
    if (ref.kind === 'dm') throw ChannelErrors.dmFixed();
    await this.deleteMember(channelId, user.id);
  }

  async members(user: Principal, channelId: string): Promise<Member[]> {
    await this.access.member(user, channelId);
    const rows: MemberRow[] = await this.db.query(
      `SELECT m.user_id, u.username, m.role, m.joined_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.channel_id = $1
        ORDER BY (m.role = 'owner') DESC, lower(u.username)`,
      [channelId],
    );
    const online = await this.presence.online(rows.map((r) => r.user_id));
    return rows.map((r) => toMemberDto(r, online.has(r.user_id)));
  }

  /** Idempotent: adding a member again answers the existing membership. */
  async addMember(user: Principal, channelId: string, targetId: string): Promise<Member> {
    const ref = await this.access.visible(user, channelId);
    if (ref.kind === 'dm') throw ChannelErrors.dmFixed();
    this.assertMayAdd(user, ref);
    const users: { id: string }[] = await this.db.query(
      'SELECT id FROM users WHERE id = $1 AND banned_at IS NULL',
      [targetId],
    );
    if (users.length === 0) throw ChannelErrors.userNotFound();
    await this.insertMember(this.db.manager, channelId, targetId);
    const [row] = await this.db.query<MemberRow[]>(
      `SELECT m.user_id, u.username, m.role, m.joined_at
         FROM memberships m JOIN users u ON u.id = m.user_id
        WHERE m.channel_id = $1 AND m.user_id = $2`,
      [channelId, targetId],
    );
    if (!row) throw ChannelErrors.userNotFound();
    const online = await this.presence.online([targetId]);
    return toMemberDto(row, online.has(targetId));
  }

  /** Owners, moderators and admins remove members; anyone may remove themselves (leave). */
  async removeMember(user: Principal, channelId: string, targetId: string): Promise<void> {
    if (targetId === user.id) return this.leave(user, channelId);
    const ref = await this.access.visible(user, channelId);
    if (ref.kind === 'dm') throw ChannelErrors.dmFixed();
    if (!this.access.canManage(user, ref)) throw ChannelErrors.notManager();
    await this.deleteMember(channelId, targetId);
  }

  /**
   * Moves the read marker forward to `seq` (capped at the channel's last message; never backwards,
   * so a late acknowledgement from another tab cannot mark messages unread again). The caller's
   * other sockets get `channel:updated` with the new unread count.
   */
  async markRead(user: Principal, channelId: string, seq: number): Promise<void> {
    await this.access.member(user, channelId);
    const moved = await returning(
      this.db,
      `UPDATE memberships m SET last_read_seq = LEAST($3::bigint, c.last_seq)
         FROM channels c
        WHERE c.id = m.channel_id AND m.channel_id = $1 AND m.user_id = $2
          AND m.last_read_seq < LEAST($3::bigint, c.last_seq)
        RETURNING m.user_id`,
      [channelId, user.id, seq],
    );
    if (moved.length > 0)
      this.hub.toUsers([user.id], 'channel:updated', await this.channelFor(user.id, channelId));
  }

  /** The one DM between the caller and `targetId`, created on first use; safe against concurrent calls. */
  async openDm(user: Principal, targetId: string): Promise<Channel> {
    if (targetId === user.id) throw ChannelErrors.dmWithSelf();
    const dmKey = [user.id, targetId].sort().join(':');
    const created = await this.db.transaction(async (tx) => {
      const target: unknown[] = await tx.query('SELECT 1 FROM users WHERE id = $1 AND banned_at IS NULL', [
        targetId,
      ]);
      // Insert-or-nothing on the unique dm_key: of two racing calls, one inserts and the other
      // waits for it to commit and then finds the row.
      const inserted: { id: string }[] = await tx.query(
        `INSERT INTO channels (name, kind, created_by, dm_key)
         SELECT '', 'dm', $1, $2 WHERE $3::boolean
         ON CONFLICT (dm_key) WHERE dm_key IS NOT NULL DO NOTHING
         RETURNING id`,
        [user.id, dmKey, target.length > 0],
      );
      if (inserted[0]) {
        await tx.query(`INSERT INTO memberships (channel_id, user_id) VALUES ($1, $2), ($1, $3)`, [
          inserted[0].id,
          user.id,
          targetId,
        ]);
        return { id: inserted[0].id, isNew: true };
      }
      const existing: { id: string }[] = await tx.query('SELECT id FROM channels WHERE dm_key = $1', [dmKey]);
      if (!existing[0]) throw ChannelErrors.userNotFound();
      return { id: existing[0].id, isNew: false };
    });
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
    const rows: ChannelRow[] = await this.db.query(`${CHANNEL_SELECT} WHERE c.id = $2`, [
      viewerId,
      channelId,
    ]);
    if (!rows[0]) throw ChannelErrors.notFound();
    return toChannelDto(rows[0]);
  }

  private assertMayAdd(user: Principal, ref: ChannelRef): void {
    if (ref.kind === 'public') {
      if (!ref.role && !this.access.canManage(user, ref)) throw ChannelErrors.joinFirst();
      return;
    }
    if (!this.access.canManage(user, ref)) throw ChannelErrors.notManager();
  }

  /**
   * Adds a membership if absent (read marker at the newest message: joining does not bring a
   * backlog of unread messages) and tells everyone: the channel's members, then the new member's
   * sockets, which are moved into the room on whichever replica they are.
   */
  private async insertMember(em: EntityManager, channelId: string, userId: string): Promise<void> {
    const inserted: { username: string }[] = await em.query(
      `WITH added AS (
         INSERT INTO memberships (channel_id, user_id, role, last_read_seq)
         SELECT c.id, $2, 'member', c.last_seq FROM channels c WHERE c.id = $1
         ON CONFLICT DO NOTHING
         RETURNING user_id)
       SELECT u.username FROM added JOIN users u ON u.id = added.user_id`,
      [channelId, userId],
    );
    if (!inserted[0]) return;
    this.hub.toChannel(channelId, 'member:joined', { channelId, userId, username: inserted[0].username });
    this.hub.addToChannel(userId, channelId);
    this.hub.toUsers([userId], 'channel:joined', await this.channelFor(userId, channelId));
  }

  /** Removes a membership if present: the user's sockets leave the room at once, then everyone is told. */
  private async deleteMember(channelId: string, userId: string): Promise<void> {
    const removed: { username: string }[] = await this.db.query(
      `WITH gone AS (DELETE FROM memberships WHERE channel_id = $1 AND user_id = $2 RETURNING user_id)
       SELECT u.username FROM gone JOIN users u ON u.id = gone.user_id`,
      [channelId, userId],
    );
    if (!removed[0]) return;
    this.hub.removeFromChannel(userId, channelId);
    this.hub.toUsers([userId], 'channel:left', { channelId });
    this.hub.toChannel(channelId, 'member:left', { channelId, userId, username: removed[0].username });
  }

  /**
   * `channel:updated` to every member with their own unread count. Members are grouped by count,
   * so a large channel costs a handful of broadcasts, not one per member.
   */
  private async announceUpdate(channelId: string): Promise<void> {
    const rows: { user_id: string; unread_count: number }[] = await this.db.query(
      `SELECT m.user_id,
              (SELECT count(*)::int FROM messages x
                WHERE x.channel_id = m.channel_id AND x.seq > m.last_read_seq
                  AND x.author_id <> m.user_id AND x.deleted_at IS NULL) AS unread_count
         FROM memberships m WHERE m.channel_id = $1`,
      [channelId],
    );
    if (rows.length === 0) return;
    const base = await this.channelFor(rows[0].user_id, channelId);
    const byCount = new Map<number, string[]>();
    for (const r of rows) {
      const group = byCount.get(r.unread_count) ?? [];
      group.push(r.user_id);
      byCount.set(r.unread_count, group);
    }
    for (const [unreadCount, userIds] of byCount) {
      this.hub.toUsers(userIds, 'channel:updated', { ...base, unreadCount });
    }
  }
}
