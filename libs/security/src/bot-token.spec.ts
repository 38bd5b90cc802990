import { createHash } from 'node:crypto';
import { BOT_TOKEN_EXP, hashBotToken, isBotToken, looksLikeBotToken, newBotToken } from './bot-token';

describe('bot tokens', () => {
  it('are chatbot_ and 256 random bits, with their SHA-256 to store', () => {
    const { token, hash } = newBotToken();
    expect(token).toMatch(/^chatbot_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice('chatbot_'.length), 'base64url')).toHaveLength(32);
    expect(hash).toEqual(createHash('sha256').update(token).digest());
    expect(hashBotToken(token)).toEqual(hash);
    expect(newBotToken().token).not.toBe(token);
  });

  it('are told apart from access tokens by their prefix, and only well-formed ones are looked up', () => {
    const { token } = newBotToken();
    expect(isBotToken(token)).toBe(true);
    for (const bad of [
      `${token}x`,
      token.slice(0, -1),
      'chatbot_',
      `CHATBOT_${token.slice(8)}`,
      42,
      undefined,
    ])
      expect(isBotToken(bad)).toBe(false);
    expect(looksLikeBotToken('chatbot_anything')).toBe(true);
    expect(looksLikeBotToken('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
  });

  it('never expire as far as the sockets and commands that read exp are concerned', () => {
    expect(new Date(BOT_TOKEN_EXP * 1000).toISOString()).toBe('9999-12-31T23:59:59.000Z');
  });
});
