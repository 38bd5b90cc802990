import { Injectable } from '@nestjs/common';
import { LIMITS, type AdminUser, type UserPage } from '@chat/contracts';
import type { UserListQueryDto } from '@chat/contracts/dto/admin.dto';
import { AdminUsersRepository, type AdminUserRow } from './admin-users.repository';

/** The admin console's user list (admins and moderators). */
@Injectable()
export class AdminUsersService {
  constructor(private readonly users: AdminUsersRepository) {}

  async page(query: UserListQueryDto): Promise<UserPage> {
    const limit = query.limit ?? LIMITS.pageLimitDefault;
    const rows = await this.users.page({ ...query, limit });
    return { users: rows.slice(0, limit).map(toAdminUser), hasMore: rows.length > limit };
  }
}

/** The only way a user leaves the admin list: a whitelist. A deactivated account counts as such even if banned too. */
export function toAdminUser(r: AdminUserRow): AdminUser {
  return {
    id: r.id,
    username: r.username,
    roles: [...r.roles],
    createdAt: r.createdAt.toISOString(),
    bot: r.bot,
    status: r.deactivatedAt ? 'deactivated' : r.bannedAt ? 'banned' : 'active',
    lastSeenAt: r.lastSeenAt ? r.lastSeenAt.toISOString() : null,
    totp: r.totp,
    sso: r.sso,
  };
}
