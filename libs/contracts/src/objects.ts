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
  /** Unread messages (after the caller's read marker) that mention the caller, `@channel` or `@here`. */
  mentionCount: number;
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
  /** The thread's root message id; null for a top-level message. */
  threadId: string | null;
  /** Replies in this message's thread (0 for a reply or a message nobody answered). */
  replyCount: number;
  /** When the newest reply was sent; null without replies. */
  lastReplyAt: string | null;
  /** In order of first use; [] when deleted. */
  reactions: Reaction[];
  /** Parsed by the server from the body at send and edit (code spans and blocks excluded). */
  mentions: MessageMentions;
  pinned: boolean;
}

export interface Reaction {
  /** One Unicode emoji (a grapheme of at most 32 bytes) or a `:short_name:`. */
  emoji: string;
  /** Who reacted, in order of reaction. */
  userIds: string[];
}

export interface MessageMentions {
  /** Members mentioned by `@username`. */
  userIds: string[];
  /** `@channel` or `@here`: every member. */
  channel: boolean;
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
  /** `?around=` pages only: older messages exist before the first one. */
  hasMoreBefore?: boolean;
  /** `?around=` pages only: newer messages exist after the last one. */
  hasMoreAfter?: boolean;
}

/** A thread the caller follows, as `GET /users/me/threads` lists it. */
export interface ThreadSummary {
  root: Message;
  /** Replies after the caller's thread read marker, by others, not deleted. */
  unreadReplies: number;
  /** When the newest reply was sent. */
  lastReplyAt: string;
}

/** `GET /users/me/threads`: followed threads, newest activity first. */
export interface ThreadList {
  threads: ThreadSummary[];
  /** Followed threads (all pages) with at least one unread reply. */
  unreadThreads: number;
  hasMore: boolean;
  /** Pass as `before` for the next page; null when `hasMore` is false. */
  next: string | null;
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
