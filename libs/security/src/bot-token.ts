import { createHash, randomBytes } from 'node:crypto';

/**
 * Bot tokens: `chatbot_` and 256 random bits in base64url. The prefix tells them apart from access
 * tokens (JWTs) without parsing, and makes a leaked one easy to find with secret scanners.
 */
export const BOT_TOKEN_PREFIX = 'chatbot_';

const BOT_TOKEN_PATTERN = /^chatbot_[A-Za-z0-9_-]{43}$/;

/**
 * The `exp` a bot's Principal carries: bot tokens do not expire (they die with the bot), and every
 * consumer of `exp` (socket expiry sweeps, command checks) treats this as never.
 */
export const BOT_TOKEN_EXP = 253_402_300_799; // 9999-12-31T23:59:59Z

/**
 * The `password_hash` of accounts without a password (bots, webhook authors): not an argon2 hash,
 * so no password verifies against it and a login with their username fails like a wrong password.
 */
export const NO_PASSWORD_HASH = '!';

/** A new token and the hash to store (the token itself is shown once and never stored). */
export function newBotToken(): { token: string; hash: Buffer } {
  const token = `${BOT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashBotToken(token) };
}

/**
 * SHA-256, not a slow password hash: the token is 256 bits of randomness, so there is nothing to
 * guess, and a fast hash keeps every authenticated request at one indexed lookup.
 */
export function hashBotToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether a raw credential is shaped like a bot token (it may still be unknown or revoked). */
export function isBotToken(raw: unknown): raw is string {
  return typeof raw === 'string' && BOT_TOKEN_PATTERN.test(raw);
}

/** Whether a credential claims to be a bot token (starts with the prefix), well-formed or not. */
export function looksLikeBotToken(raw: unknown): raw is string {
  return typeof raw === 'string' && raw.startsWith(BOT_TOKEN_PREFIX);
}
