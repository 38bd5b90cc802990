import { Injectable } from '@nestjs/common';
import type { AuditTarget, Role, User } from '@chat/contracts';
import { toUserDto } from '@chat/domain';
import {
  AuditRepository,
  hasRole,
  UserStatusService,
  type AuditContext,
  type Principal,
} from '@chat/security';
import { AccountErrors } from '../accounts/accounts.errors';
import { AuthMetrics } from '../observability/auth-metrics';
import { ModerationErrors } from './moderation.errors';
import { ModerationRepository, type ModeratedUser } from './moderation.repository';

/**
 * Role changes (admins) and bans (admins and moderators), published so every service acts at once.
 * Each change is audited in its own transaction: a refused or failed one leaves no entry, and a
 * no-op (the same roles, a ban of someone banned already) none either.
 */
@Injectable()
export class ModerationService {
  constructor(
    private readonly moderation: ModerationRepository,
    private readonly audit: AuditRepository,
    private readonly status: UserStatusService,
    private readonly metrics: AuthMetrics,
  ) {}

  async setRoles(actor: Principal, userId: string, requested: Role[], context: AuditContext): Promise<User> {
    // Everyone is a member; the set is stored in a stable order.
    const roles = (['admin', 'moderator', 'member'] as const).filter(
      (r) => r === 'member' || requested.includes(r),
    );
    const user = await this.moderation.transaction(async (tx, sql) => {
      const target = await this.lockTarget(tx, userId);
      if (target.roles.includes('admin') && !roles.includes('admin')) {
        if ((await tx.activeAdminCount()) <= 1) throw ModerationErrors.lastAdmin();
      }
      const updated = (await tx.setRoles(userId, roles))!;
      if (!sameRoles(target.roles, updated.roles))
        await this.audit.append(sql, {
          actor,
          action: 'user.roles_changed',
          target: userTarget(target),
          details: { from: target.roles, to: updated.roles },
          context,
        });
      return updated;
    });
    this.metrics.rolesChanged();
    await this.status.announce('user.roles_changed', { userId, roles: user.roles });
    return toUserDto(user);
  }

  async ban(actor: Principal, userId: string, context: AuditContext): Promise<void> {
    if (actor.id === userId) throw ModerationErrors.selfBan();
    await this.moderation.transaction(async (tx, sql) => {
      const target = await this.lockTarget(tx, userId);
      this.assertMayActOn(actor, target, 'ban');
      await tx.ban(userId);
      if (!target.bannedAt)
        await this.audit.append(sql, { actor, action: 'user.banned', target: userTarget(target), context });
    });
    this.metrics.moderated('ban');
    await this.status.announce('user.banned', { userId });
  }

  async unban(actor: Principal, userId: string, context: AuditContext): Promise<void> {
    await this.moderation.transaction(async (tx, sql) => {
      const target = await this.lockTarget(tx, userId);
      this.assertMayActOn(actor, target, 'unban');
      await tx.unban(userId);
      if (target.bannedAt)
        await this.audit.append(sql, { actor, action: 'user.unbanned', target: userTarget(target), context });
    });
    this.metrics.moderated('unban');
    await this.status.announce('user.unbanned', { userId });
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

function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  return a.length === b.length && a.every((r) => b.includes(r));
}

/** The audit log's name for a user: their username at the time. */
function userTarget(user: ModeratedUser): AuditTarget {
  return { type: 'user', id: user.id, name: user.username };
}
