import type { EventBus } from '@chat/platform';
import { hashBotToken, newBotToken } from './bot-token';
import type { BotTokenRepository } from './bot-token.repository';
import { BotTokens } from './bot-tokens.service';

/** The bot_tokens table as a map of hash → owner, counting the lookups that reach it. */
function table() {
  const rows = new Map<string, string>();
  let lookups = 0;
  const repo = {
    userIdFor: (hash: Buffer) => {
      lookups++;
      return Promise.resolve(rows.get(hash.toString('base64')));
    },
  } as unknown as BotTokenRepository;
  const issue = (owner: string) => {
    const { token } = newBotToken();
    rows.set(hashBotToken(token).toString('base64'), owner);
    return token;
  };
  return { repo, rows, issue, lookups: () => lookups };
}

/** An event bus with only what the service needs: its handlers, to be called by the test. */
function bus() {
  const handlers = new Map<string, (event: { userId: string }) => void>();
  const subscribe = (name: string, handler: (event: { userId: string }) => void) => {
    handlers.set(name, handler);
  };
  return {
    bus: { subscribe } as unknown as EventBus,
    emit: (name: string, userId: string) => handlers.get(name)?.({ userId }),
  };
}

describe('BotTokens', () => {
  let clock: number;
  beforeEach(() => {
    clock = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  it('reads a token once for a burst of requests, and again after 3 s', async () => {
    const t = table();
    const token = t.issue('bot-1');
    const tokens = new BotTokens(t.repo, bus().bus);
    expect(await Promise.all([1, 2, 3].map(() => tokens.userIdFor(token)))).toEqual([
      'bot-1',
      'bot-1',
      'bot-1',
    ]);
    clock += 2_999;
    expect(await tokens.userIdFor(token)).toBe('bot-1');
    expect(t.lookups()).toBe(1);
    t.rows.clear(); // revoked elsewhere, and the event was missed
    clock += 1;
    expect(await tokens.userIdFor(token)).toBeNull();
    expect(t.lookups()).toBe(2);
  });

  it("remembers a forged token as nobody's, so retrying it costs no query for 3 s", async () => {
    const t = table();
    const tokens = new BotTokens(t.repo, bus().bus);
    const forged = newBotToken().token;
    expect(await tokens.userIdFor(forged)).toBeNull();
    expect(await tokens.userIdFor(forged)).toBeNull();
    expect(t.lookups()).toBe(1);
  });

  it("forgets a revoked bot's token at once, and only that bot's", async () => {
    const t = table();
    const events = bus();
    const tokens = new BotTokens(t.repo, events.bus);
    tokens.onModuleInit();
    const revoked = t.issue('bot-1');
    const other = t.issue('bot-2');
    for (const token of [revoked, other]) await tokens.userIdFor(token);
    t.rows.clear();
    events.emit('user.banned', 'bot-1');
    expect(await tokens.userIdFor(revoked)).toBeNull();
    expect(await tokens.userIdFor(other)).toBe('bot-2');
    // The revoked token was read again; the other bot's is still answered from memory.
    expect(t.lookups()).toBe(3);
  });

  it('does not remember an owner read while the bot was being revoked', async () => {
    const t = table();
    const events = bus();
    const tokens = new BotTokens(t.repo, events.bus);
    tokens.onModuleInit();
    const token = t.issue('bot-1');
    // The lookup reads the row before the revocation commits; the event arrives before the
    // answer does.
    const answering = tokens.userIdFor(token);
    t.rows.clear();
    events.emit('user.banned', 'bot-1');
    expect(await answering).toBe('bot-1');
    // The next request, well within 3 s, reads again and finds no bot.
    clock += 10;
    expect(await tokens.userIdFor(token)).toBeNull();
    expect(t.lookups()).toBe(2);
  });
});
