import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Role, User } from '@chat/contracts';
import { UserEntity } from '@chat/database';
import { AppError, EVENT_BUS, type EventBus } from '@chat/platform';
import { hasRole, type Principal } from '@chat/security';
import { toUserDto } from '../accounts/user.mapper';
import { TokensService } from '../sessions/tokens.service';

/** Role changes (admins) and bans (admins and moderators), published so every service acts at once. */
@Injectable()
export class ModerationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly tokens: TokensService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  async setRoles(userId: string, requested: Role[]): Promise<User> {
    // Everyone is a member; the set is stored in a stable order.
    const roles = (['admin', 'moderator', 'member'] as const).filter(
      (r) => r === 'member' || requested.includes(r),
    );
    const user = await this.db.transaction(async (tx) => {
      const target = await tx.findOne(UserEntity, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!target) throw new AppError('NOT_FOUND', 'No such user');
      if (target.roles.includes('admin') && !roles.includes('admin')) {
        const [{ count }] = await tx.query<{ count: number }[]>(
          `SELECT count(*)::int AS count FROM users WHERE 'admin' = ANY(roles) AND banned_at IS NULL`,
        );
        if (count <= 1) throw new AppError('CONFLICT', 'Cannot remove the last admin');
      }
      target.roles = [...roles];
      return tx.save(target);
    });
    await this.bus.publish('user.roles_changed', { userId, roles: user.roles });
    return toUserDto(user);
  }

  async ban(actor: Principal, userId: string): Promise<void> {
    if (actor.id === userId) throw new AppError('FORBIDDEN', 'You cannot ban yourself');
    await this.db.transaction(async (tx) => {
      const target = await tx.findOne(UserEntity, {
        where: { id: userId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!target) throw new AppError('NOT_FOUND', 'No such user');
      // Moderators keep order among members; only an admin can ban staff.
      if (!hasRole(actor, 'admin') && hasRole(target, 'admin', 'moderator')) {
        throw new AppError('FORBIDDEN', 'Only an admin can ban a moderator or admin');
      }
      if (!target.bannedAt) await tx.update(UserEntity, { id: userId }, { bannedAt: () => 'now()' });
      await this.tokens.revokeAll(tx, userId);
    });
    await this.bus.publish('user.banned', { userId });
  }

  async unban(actor: Principal, userId: string): Promise<void> {
    const target = await this.db.getRepository(UserEntity).findOne({ where: { id: userId } });
    if (!target) throw new AppError('NOT_FOUND', 'No such user');
    if (!hasRole(actor, 'admin') && hasRole(target, 'admin', 'moderator')) {
      throw new AppError('FORBIDDEN', 'Only an admin can unban a moderator or admin');
    }
    await this.db.getRepository(UserEntity).update({ id: userId }, { bannedAt: null });
    await this.bus.publish('user.unbanned', { userId });
  }
}
