import type { Role } from '@chat/contracts';

/** Events services publish to each other (not sent to clients as such). Topic → payload. */
export interface DomainEvents {
  /** auth → gateway, media: close the user's sockets, refuse their tokens. */
  'user.banned': { userId: string };
  'user.unbanned': { userId: string };
  /** auth → gateway, media: the user's roles changed; refresh cached authorizations. */
  'user.roles_changed': { userId: string; roles: Role[] };
  /** auth → gateway: a deleted account's messages were erased (one batch); push `message:deleted`. */
  'messages.erased': { messages: { id: string; channelId: string; seq: number }[] };
  /** media → gateway: a file was deleted; messages that carried it should be re-sent as updated. */
  'file.deleted': { fileId: string; channelId: string; messageId: string | null };
}

export type DomainTopic = keyof DomainEvents;
