import type { Role, User } from '@chat/contracts';

export interface UserRow {
  id: string;
  username: string;
  roles: Role[];
  created_at: Date;
}

/** The only way a user leaves the gateway: a whitelist, so no hash or email is ever sent. */
export function toUserDto(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    roles: [...row.roles],
    createdAt: row.created_at.toISOString(),
  };
}
