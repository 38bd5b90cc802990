/** Objects of the wire contract (../shared/CONTRACT.md "Objects"). Times are ISO-8601 UTC strings. */

export const ROLES = ['admin', 'moderator', 'member'] as const;
export type Role = (typeof ROLES)[number];

export type ChannelKind = 'public' | 'private' | 'dm';
export type MemberRole = 'owner' | 'member';

export interface User {
  id: string;
  username: string;
  roles: Role[];
  createdAt: string;
}

export interface Channel {
  id: string;
  name: string;
  kind: ChannelKind;
  topic: string;
  createdBy: string;
  createdAt: string;
  memberCount: number;
  /** Highest message `seq` in the channel. */
  lastSeq: number;
  /** Messages after the caller's read marker (0 for a non-member). */
  unreadCount: number;
}

export interface Member {
  userId: string;
  username: string;
  role: MemberRole;
  online: boolean;
  joinedAt: string;
}

export interface FileInfo {
  id: string;
  channelId: string;
  name: string;
  size: number;
  contentType: string;
  uploadedBy: string;
  createdAt: string;
}

export interface MessageAuthor {
  id: string;
  username: string;
}

export interface Message {
  id: string;
  channelId: string;
  /** Per-channel, gap-free, strictly increasing; the display order and the catch-up cursor. */
  seq: number;
  author: MessageAuthor;
  /** "" when deleted. */
  body: string;
  /** [] when deleted; a file deleted later simply disappears from this list. */
  attachments: FileInfo[];
  clientId: string | null;
  createdAt: string;
  editedAt: string | null;
  deleted: boolean;
}

export interface AuthResult {
  user: User;
  accessToken: string;
  refreshToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
}

export interface MessagePage {
  messages: Message[];
  hasMore: boolean;
}

export interface SearchResult {
  messages: Message[];
}

export interface PresignedUpload {
  file: FileInfo;
  upload: { url: string; method: 'PUT'; headers: Record<string, string>; expiresAt: string };
}

/** Access-token claims (JWT payload) as issued by the auth service. */
export interface AccessTokenClaims {
  sub: string;
  username: string;
  roles: Role[];
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  jti: string;
  /** Always "access": refresh tokens are opaque and can never pass for one. */
  typ: 'access';
}
