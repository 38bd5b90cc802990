import type { User } from '@chat/contracts';
import type { UserEntity } from '@chat/database';

/** The only way a user leaves this service: a whitelist, so no hash or email is ever sent. */
export function toUserDto(u: Pick<UserEntity, 'id' | 'username' | 'roles' | 'createdAt'>): User {
  return { id: u.id, username: u.username, roles: [...u.roles], createdAt: u.createdAt.toISOString() };
}
