/** Limits of the wire contract, shared by server validation and the web client's own checks. */
export const LIMITS = {
  usernameMin: 3,
  usernameMax: 32,
  usernamePattern: /^[A-Za-z0-9_.-]+$/,
  passwordMin: 8,
  passwordMax: 128,
  channelNameMax: 80,
  topicMax: 250,
  messageBodyMax: 4000,
  clientIdMax: 64,
  attachmentsMax: 10,
  pageLimitMax: 100,
  pageLimitDefault: 50,
  searchResultsMax: 50,
  userSearchMax: 20,
  typingExpiresMs: 5000,
  /** Users one socket may follow with `presence:subscribe`. */
  presenceSubscriptionsMax: 1000,
  /** Distinct reactions one message may carry. */
  reactionsPerMessageMax: 20,
  /** A Unicode emoji reaction: one grapheme of at most this many UTF-8 bytes. */
  reactionEmojiBytesMax: 32,
  /** A `:short_name:` reaction. */
  reactionShortNamePattern: /^:[a-z0-9_+-]{1,32}:$/,
} as const;
