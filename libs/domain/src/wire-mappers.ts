import type { FileInfo, Role, User } from '@chat/contracts';

/** A user as stored, whichever way it was read (an entity, or a repository's row). */
export interface UserRecord {
  id: string;
  username: string;
  roles: readonly Role[];
  createdAt: Date;
  bot: boolean;
}

/** The only way a user leaves a service: a whitelist, so no hash or email is ever sent. */
export function toUserDto(u: UserRecord): User {
  return {
    id: u.id,
    username: u.username,
    roles: [...u.roles],
    createdAt: u.createdAt.toISOString(),
    bot: u.bot,
  };
}

/** A file as stored, whichever way it was read. `size` is a bigint column: pg reads it as a string. */
export interface FileRecord {
  id: string;
  channelId: string;
  name: string;
  size: number | string;
  contentType: string;
  uploadedBy: string;
  createdAt: Date;
}

/** The only way a file leaves a service: a whitelist, so storage keys never do. */
export function toFileDto(f: FileRecord): FileInfo {
  return {
    id: f.id,
    channelId: f.channelId,
    name: f.name,
    size: Number(f.size),
    contentType: f.contentType,
    uploadedBy: f.uploadedBy,
    createdAt: f.createdAt.toISOString(),
  };
}
