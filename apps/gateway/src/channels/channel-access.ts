import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ChannelKind, MemberRole } from '@chat/contracts';
import { isStaff, type Principal } from '@chat/security';
import { ChannelErrors } from './channels.errors';

/** A channel as far as authorization needs it, with the caller's membership. */
export interface ChannelRef {
  id: string;
  kind: ChannelKind;
  lastSeq: number;
  /** The caller's role in the channel, null when not a member. */
  role: MemberRole | null;
}

export type MemberChannelRef = ChannelRef & { role: MemberRole };

/**
 * Who may see and act on a channel (docs/socket-protocol.md "Authorization"):
 * - a public channel is visible to everyone; a private one to its members and to staff
 *   (moderators and admins manage every channel); a DM to its two members only;
 * - anything else answers NOT_FOUND, so existence does not leak;
 * - reading and writing messages needs membership (FORBIDDEN when the channel is visible).
 */
@Injectable()
export class ChannelAccess {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** The channel if the caller may know it exists; NOT_FOUND otherwise. */
  async visible(
    user: Principal,
    channelId: string,
    em: EntityManager = this.db.manager,
  ): Promise<ChannelRef> {
    const rows: { id: string; kind: ChannelKind; last_seq: string; role: MemberRole | null }[] =
      await em.query(
        `SELECT c.id, c.kind, c.last_seq, m.role
         FROM channels c LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $2
        WHERE c.id = $1`,
        [channelId, user.id],
      );
    const row = rows[0];
    if (!row) throw ChannelErrors.notFound();
    const ref: ChannelRef = { id: row.id, kind: row.kind, lastSeq: Number(row.last_seq), role: row.role };
    if (ref.role || ref.kind === 'public' || (ref.kind === 'private' && isStaff(user))) return ref;
    throw ChannelErrors.notFound();
  }

  /** The channel if the caller is a member: history, sending, typing, read markers, member lists. */
  async member(user: Principal, channelId: string, em?: EntityManager): Promise<MemberChannelRef> {
    const ref = await this.visible(user, channelId, em);
    if (!ref.role) throw ref.kind === 'public' ? ChannelErrors.joinFirst() : ChannelErrors.notMember();
    return ref as MemberChannelRef;
  }

  /** Owners, moderators and admins manage a channel (rename, topic, members, anyone's messages). */
  canManage(user: Principal, ref: ChannelRef): boolean {
    return ref.kind !== 'dm' && (ref.role === 'owner' || isStaff(user));
  }
}
