import { Injectable } from '@nestjs/common';
import type { AuditAction, Channel, DirectoryPage } from '@chat/contracts';
import { LIMITS } from '@chat/contracts';
import type { ChannelDirectoryQueryDto } from '@chat/contracts/dto/admin-channels.dto';
import { escapeLike } from '@chat/database';
import { AuditRepository, type AuditContext, type Principal } from '@chat/security';
import { ChannelAccess } from './channel-access';
import { ChannelAdminRepository } from './channel-admin.repository';
import { ChannelErrors } from './channels.errors';
import { ChannelsService } from './channels.service';

/**
 * Channel administration (issue #19): archival, handing a channel to another owner, the staff
 * directory. Each change and its audit record commit together; members learn of it through
 * `channel:updated` once committed.
 */
@Injectable()
export class ChannelAdminService {
  constructor(
    private readonly admin: ChannelAdminRepository,
    private readonly access: ChannelAccess,
    private readonly channels: ChannelsService,
    private readonly audit: AuditRepository,
  ) {}

  /** Read-only from now on (owner, moderator, admin); archiving an archived channel changes nothing. */
  async archive(user: Principal, channelId: string, context: AuditContext): Promise<Channel> {
    await this.access.check(user, channelId, 'archive');
    return this.setArchived(user, channelId, true, context);
  }

  /** Writable again (moderators and admins). */
  async unarchive(user: Principal, channelId: string, context: AuditContext): Promise<Channel> {
    await this.access.check(user, channelId, 'administer');
    return this.setArchived(user, channelId, false, context);
  }

  /** Hands the channel to `targetId`, a member already; the previous owner stays a member. */
  async changeOwner(
    user: Principal,
    channelId: string,
    targetId: string,
    context: AuditContext,
  ): Promise<Channel> {
    await this.access.check(user, channelId, 'administer');
    const changed = await this.admin.transaction(async (tx, sql) => {
      const change = await tx.changeOwner(channelId, targetId);
      if (change === 'not-member') throw ChannelErrors.notAMember(targetId);
      if (!change.changed) return false;
      await this.audit.append(sql, {
        actor: { id: user.id, username: user.username },
        action: 'channel.owner_changed',
        target: { type: 'channel', id: channelId, name: await this.nameOf(user, channelId) },
        details: { from: change.previous[0] ?? null, to: targetId },
        context,
      });
      return true;
    });
    if (changed) await this.channels.announceUpdate(channelId);
    return this.channels.channelFor(user.id, channelId);
  }

  /** A page of public and private channels for staff (the route is theirs only). */
  directory(query: ChannelDirectoryQueryDto): Promise<DirectoryPage> {
    const q = query.q?.trim().toLowerCase();
    return this.admin.directory({
      after: query.after,
      limit: query.limit ?? LIMITS.pageLimitDefault,
      pattern: q ? `%${escapeLike(q)}%` : undefined,
      archived: query.archived === undefined ? undefined : query.archived === 'true',
    });
  }

  private async setArchived(
    user: Principal,
    channelId: string,
    archived: boolean,
    context: AuditContext,
  ): Promise<Channel> {
    const action: AuditAction = archived ? 'channel.archived' : 'channel.unarchived';
    const changed = await this.admin.transaction(async (tx, sql) => {
      const name = await tx.setArchived(channelId, archived ? user.id : null);
      if (name === null) return false;
      await this.audit.append(sql, {
        actor: { id: user.id, username: user.username },
        action,
        target: { type: 'channel', id: channelId, name },
        context,
      });
      return true;
    });
    if (changed) await this.channels.announceUpdate(channelId);
    return this.channels.channelFor(user.id, channelId);
  }

  private async nameOf(user: Principal, channelId: string): Promise<string> {
    return (await this.channels.channelFor(user.id, channelId)).name;
  }
}
