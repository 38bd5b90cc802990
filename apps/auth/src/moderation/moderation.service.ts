import { Inject, Injectable } from '@nestjs/common';
import type { Role, User } from '@chat/contracts';
import { toUserDto } from '@chat/domain';
import { EVENT_BUS, type EventBus } from '@chat/platform';
import { hasRole, type Principal } from '@chat/security';
import { AccountErrors } from '../accounts/accounts.errors';
import { ModerationErrors } from './moderation.errors';
import { ModerationRepository, type ModeratedUser } from './moderation.repository';

/** Role changes (admins) and bans (admins and moderators), published so every service acts at once. */
@Injectable()
export class ModerationService {
  constructor(
    private readonly moderation: ModerationRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async setRoles(userId: string, requested: Role[]): Promise<User> {
    // Everyone is a member; the set is stored in a stable order.
    const roles = (['admin', 'moderator', 'member'] as const).filter(
      (r) => r === 'member' || requested.includes(r),
    );
    const user = await this.moderation.transaction(async (tx) => {
      const target = await this.lockTarget(tx, userId);
      if (target.roles.includes('admin') && !roles.includes('admin')) {
        if ((await tx.activeAdminCount()) <= 1) throw ModerationErrors.lastAdmin();
      }
      return (await tx.setRoles(userId, roles))!;
    });
    await this.bus.publish('user.roles_changed', { userId, roles: user.roles });
    return toUserDto(user);
  }

  async ban(actor: Principal, userId: string): Promise<void> {
    if (actor.id === userId) throw ModerationErrors.selfBan();
    await this.moderation.transaction(async (tx) => {
      const target = await this.lockTarget(tx, userId);
      this.assertMayActOn(actor, target, 'ban');
      await tx.ban(userId);
    });
    await this.bus.publish('user.banned', { userId });
  }

  async unban(actor: Principal, userId: string): Promise<void> {
    await this.moderation.transaction(async (tx) => {
      const target = await this.lockTarget(tx, userId);
      this.assertMayActOn(actor, target, 'unban');
      await tx.unban(userId);
    });
    await this.bus.publish('user.unbanned', { userId });
  }

  private async lockTarget(tx: ModerationRepository, userId: string): Promise<ModeratedUser> {
    const target = await tx.lockUser(userId);
    if (!target) throw AccountErrors.userNotFound();
    return target;
  }

  /** Moderators keep order among members; only an admin acts on staff. */
  private assertMayActOn(actor: Principal, target: ModeratedUser, action: 'ban' | 'unban'): void {
    if (!hasRole(actor, 'admin') && hasRole(target, 'admin', 'moderator')) {
      throw ModerationErrors.staffOnlyByAdmin(action);
    }
  }
}
