import { createHash, randomBytes } from 'node:crypto';
import type { AuthResult, BotCreated } from '@chat/contracts';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { closeSql, loginAdmin, newUser, sql, type TestUser } from '../../../test/support/gateway';
import { startMedia, type RunningMedia } from '../../../test/support/media';

const ADMIN_PASSWORD = 'admin-password-123';
const TOKEN_SHAPE = /^chatbot_[A-Za-z0-9_-]{43}$/;

/**
 * Bot accounts through the auth service's REST API (the socket and two-gateway side is
 * apps/gateway/test/bots-two-replicas.e2e-spec.ts): who may manage them, what is shown once and
 * what is stored, what a bot token opens (auth, media) and what it never does (log in, refresh).
 */
describe('bots: admin API and what a bot token opens (e2e)', () => {
  let auth: Running & { jwksUrl: string };
  let media: RunningMedia;
  let admin: TestUser;
  let alice: TestUser;

  beforeAll(async () => {
    const adminName = uniqueName('admin');
    auth = await startAuth({ ADMIN_USERNAME: adminName, ADMIN_PASSWORD });
    media = await startMedia(auth);
    admin = await loginAdmin(auth.url, adminName, ADMIN_PASSWORD);
    alice = await newUser(auth.url, 'alice');
  });

  afterAll(async () => {
    await media?.close();
    await auth?.close();
    await closeSql();
  });

  const call = (method: string, path: string, token?: string, body?: unknown) =>
    request(auth.url, method, path, { token, body });
  const createBot = async (username = uniqueName('bot')) => {
    const res = await call('POST', '/auth/bots', admin.token, { username });
    expect(res.status).toBe(201);
    return res.body as BotCreated;
  };

  it('creates a bot for an admin: 201 with the user (bot: true) and a token shown once, stored as its SHA-256', async () => {
    const username = uniqueName('CiBot');
    const res = await call('POST', '/auth/bots', admin.token, { username });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['token', 'user']);
    expect(res.body.user).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      username,
      roles: ['member'],
      createdAt: expect.any(String),
      bot: true,
    });
    expect(res.body.token).toMatch(TOKEN_SHAPE);

    // Stored: the hash, never the token; no password anyone could know.
    const [stored] = await sql(
      `SELECT encode(t.token_hash, 'hex') AS hash, t.created_by, u.password_hash, u.bot
         FROM bot_tokens t JOIN users u ON u.id = t.user_id WHERE t.user_id = $1`,
      [res.body.user.id],
    );
    expect(stored).toEqual({
      hash: createHash('sha256').update(res.body.token).digest('hex'),
      created_by: admin.id,
      password_hash: '!',
      bot: true,
    });

    // Listed without any token.
    const list = await call('GET', '/auth/bots', admin.token);
    expect(list.status).toBe(200);
    const listed = (list.body as any[]).find((u) => u.id === res.body.user.id);
    expect(listed).toEqual(res.body.user);
    expect(JSON.stringify(list.body)).not.toContain(res.body.token);
    expect(JSON.stringify(list.body)).not.toContain('chatbot_');
  });

  it('gives every bot a different token, and people are not listed as bots', async () => {
    const [a, b] = [await createBot(), await createBot()];
    expect(a.token).not.toBe(b.token);
    const ids = ((await call('GET', '/auth/bots', admin.token)).body as any[]).map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([a.user.id, b.user.id]));
    expect(ids).not.toContain(alice.id);
    expect(ids).not.toContain(admin.id);
  });

  it('refuses members (403 FORBIDDEN), anonymous callers (401) and the bot itself (403)', async () => {
    const bot = await createBot();
    for (const [token, status] of [
      [alice.token, 403],
      [undefined, 401],
      [bot.token, 403],
    ] as const) {
      const create = await call('POST', '/auth/bots', token, { username: uniqueName('nope') });
      const list = await call('GET', '/auth/bots', token);
      const remove = await call('DELETE', `/auth/bots/${bot.user.id}`, token);
      for (const res of [create, list, remove]) {
        expect(res.status).toBe(status);
        expect(res.body).toMatchObject({
          statusCode: status,
          code: status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED',
          requestId: expect.any(String),
        });
      }
    }
    // The bot survived all of that.
    expect((await call('GET', '/auth/me', bot.token)).status).toBe(200);
  });

  it('answers 409 for a taken username (a person or a bot, any case) and 400 for a bad one', async () => {
    const bot = await createBot();
    for (const username of [alice.username.toUpperCase(), bot.user.username.toLowerCase()]) {
      const res = await call('POST', '/auth/bots', admin.token, { username });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'CONFLICT' });
    }
    for (const body of [
      {},
      { username: 'ab' },
      { username: 'a'.repeat(33) },
      { username: 'bad name' },
      { username: 42 },
      { username: uniqueName(), roles: ['admin'] },
    ]) {
      const res = await call('POST', '/auth/bots', admin.token, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION', message: expect.any(String) });
    }
  });

  it('authenticates the bot like an access token: /auth/me says bot: true, and media accepts it', async () => {
    const bot = await createBot();
    const me = await call('GET', '/auth/me', bot.token);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: bot.user.id, username: bot.user.username, bot: true });
    // Media runs the same guard: an unknown file is a 404 for an authenticated caller, not a 401.
    const missing = `/files/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/meta`;
    const file = await request(media.url, 'GET', missing, { token: bot.token });
    expect(file.status).toBe(404);
    const forged = await request(media.url, 'GET', missing, {
      token: `chatbot_${randomBytes(32).toString('base64url')}`,
    });
    expect(forged.status).toBe(401);
  });

  it('never logs a bot in with a password, and /auth/refresh does not take its token', async () => {
    const bot = await createBot();
    for (const password of ['', '!', 'password-123', bot.token]) {
      const res = await call('POST', '/auth/login', undefined, { username: bot.user.username, password });
      expect([400, 401]).toContain(res.status);
      expect(res.body.accessToken).toBeUndefined();
    }
    const login = await call('POST', '/auth/login', undefined, {
      username: bot.user.username,
      password: 'password-123',
    });
    expect(login.status).toBe(401);
    expect(login.body).toMatchObject({ code: 'UNAUTHORIZED', message: 'Invalid username or password' });
    const refresh = await call('POST', '/auth/refresh', undefined, { refreshToken: bot.token });
    expect(refresh.status).toBe(401);
    expect((refresh.body as Partial<AuthResult>).accessToken).toBeUndefined();
    // Still a working bot token afterwards.
    expect((await call('GET', '/auth/me', bot.token)).status).toBe(200);
  });

  it('answers 401 for garbage and forged bot tokens, in the contract shape', async () => {
    const bot = await createBot();
    const flipped = bot.token.slice(0, -1) + (bot.token.endsWith('A') ? 'B' : 'A');
    for (const token of [
      `chatbot_${randomBytes(32).toString('base64url')}`,
      flipped,
      `${bot.token}x`,
      'chatbot_',
      'chatbot_short',
      `chatbot_${'é'.repeat(43)}`,
      bot.token.replace('chatbot_', 'CHATBOT_'),
      bot.token.slice('chatbot_'.length),
      'not-a-token',
      `chatbot_${'a'.repeat(5000)}`,
    ]) {
      const res = await call('GET', '/auth/me', token);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({
        statusCode: 401,
        code: 'UNAUTHORIZED',
        requestId: expect.any(String),
      });
    }
    expect((await call('GET', '/auth/me', bot.token)).status).toBe(200);
  });

  it('deletes a bot: 204, its token dies at once everywhere, it leaves the list; 404 for anything else', async () => {
    const bot = await createBot();
    expect((await request(media.url, 'GET', `/files/${bot.user.id}/meta`, { token: bot.token })).status).toBe(
      404,
    );
    const res = await call('DELETE', `/auth/bots/${bot.user.id}`, admin.token);
    expect(res.status).toBe(204);
    expect((await call('GET', '/auth/me', bot.token)).status).toBe(401);
    expect((await request(media.url, 'GET', `/files/${bot.user.id}/meta`, { token: bot.token })).status).toBe(
      401,
    );
    const ids = ((await call('GET', '/auth/bots', admin.token)).body as any[]).map((u) => u.id);
    expect(ids).not.toContain(bot.user.id);
    expect(await sql('SELECT 1 FROM bot_tokens WHERE user_id = $1', [bot.user.id])).toEqual([]);

    // Again, a person, an unknown id, a malformed one: nothing to delete.
    for (const id of [bot.user.id, alice.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
      const again = await call('DELETE', `/auth/bots/${id}`, admin.token);
      expect(again.status).toBe(404);
      expect(again.body).toMatchObject({ code: 'NOT_FOUND' });
    }
    // The person was not touched.
    expect((await call('GET', '/auth/me', alice.token)).status).toBe(200);
  });
});
