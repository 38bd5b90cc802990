import { randomBytes } from 'node:crypto';
import type { BotCreated } from '@chat/contracts';
import { request, type Running } from '../../../test/support/apps';
import {
  api,
  connect,
  disconnected,
  Inbox,
  refusal,
  send,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { twoReplicas } from '../../../test/support/replicas';

/** The contract: a deleted bot's sockets are closed within 5 s on every gateway. */
const REVOKE_DEADLINE_MS = 5000;

/**
 * Bots against real services: auth, two gateway replicas on one Redis and one Postgres. A bot
 * token works as an access token for REST and the socket handshake on either replica, its rate
 * limits are its own, and deleting the bot ends it everywhere.
 */
describe('bots across two gateways (e2e)', () => {
  const { auth, a, b, admin, users, open, channel } = twoReplicas({
    users: ['owner', 'person'],
    admin: true,
  });
  const { owner, person } = users;

  /** A new bot (its user as a TestUser, the token as its credential), member of `channelId`. */
  const newBot = async (channelId?: string): Promise<TestUser & { created: BotCreated }> => {
    const res = await request(auth.url, 'POST', '/auth/bots', {
      token: admin.token,
      body: { username: `bot_${randomBytes(5).toString('hex')}` },
    });
    expect(res.status).toBe(201);
    const created = res.body as BotCreated;
    if (channelId) {
      const added = await api(a.url, owner)('POST', `/channels/${channelId}/members`, {
        userId: created.user.id,
      });
      expect(added.status).toBe(200);
    }
    return { id: created.user.id, username: created.user.username, token: created.token, created };
  };

  it('posts over REST, and receives and sends over a socket, on either replica', async () => {
    const channelId = await channel('public', person);
    const bot = await newBot(channelId);
    const personOnA = await open(a, person);
    const botOnB = await open(b, bot);

    // REST through A, seen by the person on A and the bot's own socket on B.
    const posted = await api(a.url, bot)('POST', `/channels/${channelId}/messages`, {
      body: 'build #1 passed',
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      channelId,
      body: 'build #1 passed',
      author: { id: bot.id, username: bot.username, bot: true },
    });
    const seen = await personOnA.inbox.next('message:new', (m) => m.id === posted.body.id);
    expect(seen.author).toEqual({ id: bot.id, username: bot.username, bot: true });
    await botOnB.inbox.next('message:new', (m) => m.id === posted.body.id);

    // A person's message reaches the bot's socket on the other replica.
    const fromPerson = await send(personOnA.socket, 'message:send', { channelId, body: 'hi bot' });
    expect(fromPerson.ok).toBe(true);
    const got = await botOnB.inbox.next('message:new', (m) => m.body === 'hi bot');
    expect(got.author).toEqual({ id: person.id, username: person.username, bot: false });

    // And the bot answers over its socket.
    const reply = await send(botOnB.socket, 'message:send', { channelId, body: 'hello person' });
    expect(reply).toMatchObject({
      ok: true,
      message: { author: { id: bot.id, username: bot.username, bot: true } },
    });
    await personOnA.inbox.next('message:new', (m) => m.body === 'hello person');

    // It is a bot wherever a User is returned.
    const found = await api(b.url, person)('GET', `/users?q=${bot.username}`);
    expect(found.status).toBe(200);
    expect(found.body).toEqual([bot.created.user]);
    expect(found.body[0].bot).toBe(true);
    const people = await api(b.url, bot)('GET', `/users?q=${person.username}`);
    expect(people.body).toEqual([expect.objectContaining({ id: person.id, bot: false })]);
  });

  it('refuses garbage and forged tokens at the handshake and over REST, on both replicas', async () => {
    const bot = await newBot();
    const forged = [
      `chatbot_${randomBytes(32).toString('base64url')}`,
      bot.token.slice(0, -2) + (bot.token.endsWith('AA') ? 'BB' : 'AA'),
      'chatbot_x',
      `chatbot_${'a'.repeat(4000)}`,
      'garbage',
    ];
    for (const replica of [a, b]) {
      for (const token of forged) {
        const err = await refusal(replica.url, token);
        expect(err.message).toBe('UNAUTHORIZED');
        expect(err.data).toEqual({ code: 'UNAUTHORIZED', message: expect.any(String) });
        const res = await request(replica.url, 'GET', '/channels', { token });
        expect(res.status).toBe(401);
        expect(res.body).toMatchObject({
          statusCode: 401,
          code: 'UNAUTHORIZED',
          requestId: expect.any(String),
        });
      }
      // Still up, and the real token still works.
      expect((await request(replica.url, 'GET', '/channels', { token: bot.token })).status).toBe(200);
    }
  });

  it('deleting the bot: its sockets closed on both replicas within 5 s, and REST 401 there from then; its messages stay', async () => {
    const channelId = await channel('public', person);
    const bot = await newBot(channelId);
    const posted = await api(b.url, bot)('POST', `/channels/${channelId}/messages`, { body: 'last words' });
    expect(posted.status).toBe(201);
    const sockets: { socket: TestSocket; inbox: Inbox }[] = [
      await open(a, bot),
      await open(b, bot),
      await open(b, bot),
    ];
    // Both replicas have served (and so cached) the token just now.
    for (const replica of [a, b])
      expect((await request(replica.url, 'GET', '/channels', { token: bot.token })).status).toBe(200);

    const gone = sockets.map(({ socket: s }) => disconnected(s, REVOKE_DEADLINE_MS + 2000));
    const ended = sockets.map(({ inbox }) =>
      inbox.next('session:ended', () => true, REVOKE_DEADLINE_MS + 2000),
    );
    const deletedAt = Date.now();
    const res = await request(auth.url, 'DELETE', `/auth/bots/${bot.id}`, { token: admin.token });
    expect(res.status).toBe(204);

    expect(await Promise.all(ended)).toEqual(
      sockets.map(() => ({ code: 'UNAUTHORIZED', message: 'Session revoked' })),
    );
    // A replica ends the sockets on the same `user.banned` event that drops its cached token and
    // status, so from here on its REST refuses the token too. Asked before that event has landed
    // (it is published before the 204, but arrives over Redis on its own), a replica may still
    // answer from its 3 s cache: CI once caught that window.
    for (const replica of [a, b]) {
      const after = await request(replica.url, 'GET', '/channels', { token: bot.token });
      expect(after.status).toBe(401);
      expect(after.body).toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await Promise.all(gone);
    expect(Date.now() - deletedAt).toBeLessThan(REVOKE_DEADLINE_MS);
    for (const replica of [a, b])
      expect((await refusal(replica.url, bot.token)).message).toBe('UNAUTHORIZED');

    // The messages stay, under the bot's name; it is no longer offered as someone to talk to.
    const history = await api(a.url, person)('GET', `/channels/${channelId}/messages`);
    expect(history.body.messages).toContainEqual(
      expect.objectContaining({
        id: posted.body.id,
        body: 'last words',
        author: { id: bot.id, username: bot.username, bot: true },
      }),
    );
    expect((await api(a.url, person)('GET', `/users?q=${bot.username}`)).body).toEqual([]);
  });

  describe('rate limits', () => {
    let limited: Running;
    beforeAll(async () => {
      limited = await startGateway(auth, { HTTP_RATE_PER_MINUTE: '5', COMMAND_RATE_PER_SECOND: '3' });
    });
    afterAll(() => limited?.close());

    it('counts each bot on its own: one bot at its limit gets 429, another from the same address does not', async () => {
      const channelId = await channel('public');
      const [noisy, quiet] = [await newBot(channelId), await newBot(channelId)];
      for (let i = 0; i < 5; i++)
        expect((await request(limited.url, 'GET', '/channels', { token: noisy.token })).status).toBe(200);
      const refused = await request(limited.url, 'GET', '/channels', { token: noisy.token });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect((await request(limited.url, 'GET', '/channels', { token: quiet.token })).status).toBe(200);

      // Socket commands too: 3 a second per bot.
      const noisySocket = await connect(limited.url, noisy.token);
      const quietSocket = await connect(limited.url, quiet.token);
      try {
        const acks = [];
        for (let i = 0; i < 4; i++)
          acks.push(await send(noisySocket, 'message:send', { channelId, body: `n${i}` }));
        expect(acks.slice(0, 3).every((ack) => ack.ok)).toBe(true);
        expect(acks[3]).toEqual({ ok: false, error: { code: 'RATE_LIMITED', message: expect.any(String) } });
        expect(await send(quietSocket, 'message:send', { channelId, body: 'q' })).toMatchObject({ ok: true });
      } finally {
        noisySocket.close();
        quietSocket.close();
      }
    });
  });
});
