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
  /** A bot account (POST /auth/bots): authenticates with a long-lived token, not a password. */
  bot: boolean;
}

/** `GET /auth/me` and `PATCH /auth/me`: the caller's own account, with what only they may see. */
export interface Me extends User {
  /** Where away notifications go once verified; null when none is set. */
  email: string | null;
  /** The address was confirmed through the link sent to it; nothing else is sent before. */
  emailVerified: boolean;
  /** Digest emails of unread notifications (off after "unsubscribe"). */
  emailNotifications: boolean;
  /** TOTP two-factor is enabled: logins need a code. */
  totp: boolean;
  /**
   * The sign-in settings require two-factor of this account (password accounts; not bots or single
   * sign-on ones): the web client asks for its set-up before the chat while `totp` is false.
   */
  totpRequired: boolean;
}

export const NOTIFY_LEVELS = ['all', 'mentions', 'none'] as const;
/** Per member and channel: which new messages notify (default `all` in DMs, `mentions` elsewhere). */
export type NotifyLevel = (typeof NOTIFY_LEVELS)[number];

export type NotificationKind = 'mention' | 'dm' | 'reply' | 'message';

/** The `notification` push, the Web Push payload and a digest email line: one new message. */
export interface Notification {
  kind: NotificationKind;
  channelId: string;
  messageId: string;
  seq: number;
  /** "alice in #general", or the DM partner's name. */
  title: string;
  /** The start of the message as plain text (at most 200 characters). */
  body: string;
}

/** `GET /push/key`: the VAPID public key (base64url, uncompressed P-256 point) to subscribe with. */
export interface PushKey {
  publicKey: string;
}

/** A bot as its admin sees it. */
export interface BotCreated {
  user: User;
  /** Shown once: stored hashed, it cannot be read back. */
  token: string;
}

/** Events an outgoing webhook may subscribe to. */
export const WEBHOOK_EVENTS = ['message:new', 'message:updated', 'message:deleted'] as const;
export type WebhookEventName = (typeof WEBHOOK_EVENTS)[number];

/** A channel's webhook as its owners see it. */
export interface Webhook {
  id: string;
  channelId: string;
  name: string;
  kind: 'incoming' | 'outgoing';
  /** Incoming: the secret URL to post to (`/hooks/<id>/<secret>`), shown only at creation; null after. */
  url: string | null;
  /** Outgoing: where events are delivered; null for incoming. */
  targetUrl: string | null;
  /** Outgoing: the events delivered. */
  events: string[];
  createdBy: string;
  createdAt: string;
}

/** One event of an outgoing webhook as its owner sees it (`GET …/webhooks/:id/deliveries`). */
export interface WebhookDelivery {
  /** The X-Chat-Delivery id the receiver got. */
  id: string;
  event: string;
  seq: number;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  /** The receiver's last HTTP status; null when it never answered. */
  lastStatus: number | null;
  /** Why the last attempt failed; null after a success or before any attempt. */
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** `POST /channels/:id/webhooks` → 201: the webhook, with an outgoing one's signing secret. */
export interface WebhookCreated extends Webhook {
  /** Outgoing only: the HMAC-SHA256 key of `X-Chat-Signature`, shown once. */
  secret?: string;
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
  /** The caller's notification level here (their default for a non-member). */
  notify: NotifyLevel;
  /** Muted: no notifications at all, whatever `notify` says. */
  muted: boolean;
  /** When the channel was archived (read-only: no sending, joining or changes); null when it is not. */
  archivedAt: string | null;
}

export interface Member {
  userId: string;
  username: string;
  role: MemberRole;
  online: boolean;
  /** A bot account or an incoming webhook's (not in the contract). */
  bot: boolean;
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
  /** A bot account or an incoming webhook (not in the contract: shown as a bot by clients). */
  bot: boolean;
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

/** Where an account stands, as the admin console shows it. */
export type AccountStatus = 'active' | 'banned' | 'deactivated';

/** `GET /auth/users` (admins and moderators): a User with what staff need to manage it. */
export interface AdminUser extends User {
  status: AccountStatus;
  /** Last sign-in or token refresh; null if never. */
  lastSeenAt: string | null;
  /** TOTP two-factor is enabled. */
  totp: boolean;
  /** Signs in through the identity provider (OIDC). */
  sso: boolean;
}

/** `GET /auth/users?after=&limit=&q=`: by username; `after` is the last user id of the page before. */
export interface UserPage {
  users: AdminUser[];
  hasMore: boolean;
}

/** The name messages and member lists show for the author of a deleted (deactivated) account. */
export const DELETED_USER_NAME = 'deleted user';

/** `GET /auth/me/deletion-policy`: what `DELETE /auth/me` asks of the caller. */
export interface AccountDeletionPolicy {
  /** `password` for an account with one; `username` (typed out as `confirm`) for single sign-on only. */
  confirmWith: 'password' | 'username';
  /** Whether `eraseMessages: true` is accepted (ACCOUNT_ERASE_MESSAGES). */
  eraseMessages: 'allowed' | 'never';
}

/**
 * The audit log's actions. `user.*` and `bot.*`, `settings.*` are recorded by auth; `webhook.*`,
 * `message.*`, `member.*` and `channel.*` by the gateway, each in the transaction of the action.
 */
export const AUDIT_ACTIONS = [
  'user.roles_changed',
  'user.banned',
  'user.unbanned',
  'user.deactivated',
  'user.totp_reset',
  'bot.created',
  'bot.revoked',
  'webhook.created',
  'webhook.revoked',
  'message.deleted_by_moderator',
  'member.removed',
  'channel.archived',
  'channel.unarchived',
  'channel.owner_changed',
  'settings.sign_in_changed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditActor {
  id: string | null;
  username: string | null;
}

export interface AuditTarget {
  type: 'user' | 'channel' | 'message' | 'webhook' | 'settings';
  id: string | null;
  /** A readable name as it was at the time (username, channel name). */
  name: string | null;
}

/** One entry of `GET /auth/audit`. */
export interface AuditEvent {
  id: string;
  at: string;
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget | null;
  /** What changed (for example `{ from: [...], to: [...] }` for roles), plus `requestId` and `clientAddress`. */
  details: Record<string, unknown>;
}

/** `GET /auth/audit?after=&limit=&action=&actorId=&targetId=&since=&until=`: newest first. */
export interface AuditPage {
  events: AuditEvent[];
  hasMore: boolean;
}

/** Sign-in settings (`GET`/`PUT /auth/settings/sign-in`, admin): every change is audited. */
export interface SignInSettings {
  /** Password login and registration; off leaves only single sign-on (admins keep theirs as a way back in). */
  passwordLogin: boolean;
  /** OIDC: an unknown `sub` gets an account on first login (off: only already-linked accounts). */
  oidcCreateAccounts: boolean;
  /** Every account must enable TOTP: one without it still signs in, and `Me.totpRequired` makes the client ask for the set-up first. */
  requireTotp: boolean;
}

/** `GET /auth/sign-in-options` (public): what the login screen offers. */
export interface SignInOptions {
  passwordLogin: boolean;
  /** Set when OIDC is configured: the provider's display name for the button. */
  oidc: { name: string } | null;
}

/** `POST /auth/2fa/setup`: scan `otpauthUrl` (QR code) or type `secret`; codes become valid on enable. */
export interface TotpSetup {
  secret: string;
  otpauthUrl: string;
  /** One-time codes, shown once, usable in place of a TOTP code after enable. */
  recoveryCodes: string[];
}

/** One channel of the staff directory (`GET /channels/directory`): public and private, never DMs. */
export interface DirectoryChannel {
  id: string;
  name: string;
  kind: 'public' | 'private';
  topic: string;
  createdAt: string;
  memberCount: number;
  lastSeq: number;
  archivedAt: string | null;
  /** The current owner; null when the channel has none (the owner's account is gone). */
  owner: { id: string; username: string } | null;
}

/** `GET /channels/directory?after=&limit=&q=&archived=`: by lower(name), then id. */
export interface DirectoryPage {
  channels: DirectoryChannel[];
  hasMore: boolean;
}

/**
 * A webhook of the admin overview (`GET /hooks`), never its secret, with its channel's name now and
 * its creator's username now (null if the account is gone).
 */
export type WebhookOverview = Webhook & { channelName: string; createdByUsername: string | null };

/** `GET /hooks?after=&limit=` (admin): every channel's webhooks, newest first. */
export interface WebhookOverviewPage {
  webhooks: WebhookOverview[];
  hasMore: boolean;
}
