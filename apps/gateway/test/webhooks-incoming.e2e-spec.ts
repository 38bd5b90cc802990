import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, type Running } from '../../../test/support/apps';
import { api, newUser, setRoles, sql, startGateway, type TestUser } from '../../../test/support/gateway';
import { twoReplicas } from '../../../test/support/replicas';

/** The gateways' PUBLIC_URL (the test environment leaves the default). */
const PUBLIC_URL = 'http://localhost:8080';
const URL_SHAPE = /^http:\/\/localhost:8080\/hooks\/([0-9a-f-]{36})\/([A-Za-z0-9_-]{43})$/;

/**
 * Incoming webhooks against real services (auth, two gateway replicas, Postgres, Redis): managed
 * by whoever moderates the channel, posted to by anyone holding the URL, read from the database
 * on every post so a deletion applies at once on every replica.
 */
describe('incoming webhooks across two gateways (e2e)', () => {
  const { auth, a, b, admin, users, open, channel } = twoReplicas({
    users: ['owner', 'member', 'outsider'],
    admin: true,
  });
  const { owner, member, outsider } = users;

  const createHook = async (channelId: string, name = 'CI builds', by: TestUser = owner) => {
    const res = await api(a.url, by)('POST', `/channels/${channelId}/webhooks`, { name });
    expect(res.status).toBe(201);
    const [, id, secret] = URL_SHAPE.exec(res.body.url)!;
    return { hook: res.body, id, secret, path: new URL(res.body.url).pathname };
  };
  /** A POST to a hook path on `replica`: JSON `body`, or `raw` text with `contentType`. */
  const postTo = (
    replica: Running,
    path: string,
    body: unknown,
    opts: { contentType?: string; raw?: string } = {},
  ) =>
    request(replica.url, 'POST', path, {
      body: opts.raw === undefined ? body : undefined,
      raw: opts.raw,
      headers: opts.contentType ? { 'content-type': opts.contentType } : {},
    });

  it('creates an incoming webhook: its URL once, a bot account in the channel, the secret stored hashed', async () => {
    const channelId = await channel('public', member);
    const watcher = await open(b, member);
    const res = await api(a.url, owner)('POST', `/channels/${channelId}/webhooks`, {
      name: '  CI Builds ✓ ',
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      channelId,
      name: 'CI Builds ✓',
      kind: 'incoming',
      url: expect.stringMatching(URL_SHAPE),
      targetUrl: null,
      events: [],
      createdBy: owner.id,
      createdAt: expect.any(String),
    });
    const [, id, secret] = URL_SHAPE.exec(res.body.url)!;
    expect(id).toBe(res.body.id);
    expect(res.body.url.startsWith(`${PUBLIC_URL}/hooks/`)).toBe(true);

    const [row] = await sql(
      `SELECT encode(w.secret_hash, 'hex') AS hash, w.secret, u.username, u.bot, u.password_hash,
              (SELECT role FROM memberships m WHERE m.channel_id = w.channel_id AND m.user_id = u.id) AS role
         FROM webhooks w JOIN users u ON u.id = w.user_id WHERE w.id = $1`,
      [id],
    );
    expect(row).toEqual({
      hash: createHash('sha256').update(secret).digest('hex'),
      secret: null,
      username: expect.stringMatching(/^ci-builds-hook-[0-9a-f]{4}$/),
      bot: true,
      password_hash: '!',
      role: 'member',
    });
    // The channel's members see its account join.
    const joined = await watcher.inbox.next('member:joined', (e) => e.channelId === channelId);
    expect(joined.username).toBe(row.username);

    // Listed without its URL or secret, to its managers only.
    const list = await api(b.url, owner)('GET', `/channels/${channelId}/webhooks`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([{ ...res.body, url: null }]);
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it("posts { text } as the webhook's account: 201 Message, pushed to members on the other replica", async () => {
    const channelId = await channel('private', member);
    const { path, hook } = await createHook(channelId, 'Deploys');
    const [account] = await sql(
      `SELECT user_id AS id, u.username FROM webhooks w JOIN users u ON u.id = w.user_id WHERE w.id = $1`,
      [hook.id],
    );
    const watcher = await open(a, member);

    const res = await postTo(b, path, { text: 'deploy #7 finished @channel' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      channelId,
      seq: expect.any(Number),
      body: 'deploy #7 finished @channel',
      author: { id: account.id, username: account.username, bot: true },
      mentions: { userIds: [], channel: true },
      deleted: false,
    });
    const pushed = await watcher.inbox.next('message:new', (m) => m.id === res.body.id);
    expect(pushed).toEqual(res.body);
    // In history like any message, and the account is a bot wherever users are listed.
    const history = await api(a.url, member)('GET', `/channels/${channelId}/messages`);
    expect(history.body.messages.map((m: { id: string }) => m.id)).toContain(res.body.id);
    const found = await api(a.url, member)('GET', `/users?q=${account.username}`);
    expect(found.body).toEqual([expect.objectContaining({ id: account.id, bot: true })]);
  });

  it('answers 404 NOT_FOUND, the same way, for a wrong secret, an unknown or malformed id and a deleted hook', async () => {
    const channelId = await channel('public', member);
    const { id, secret, path } = await createHook(channelId);
    const other = await createHook(channelId, 'other');
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
    const wrong = [
      `/hooks/${id}/${flip(secret)}`,
      `/hooks/${id}/${randomBytes(32).toString('base64url')}`,
      `/hooks/${id}/${other.secret}`,
      `/hooks/${other.id}/${secret}`,
      `/hooks/${id}/x`,
      `/hooks/${id}/${secret}${secret}`,
      `/hooks/00000000-0000-4000-8000-000000000000/${secret}`,
      `/hooks/not-a-uuid/${secret}`,
      `/hooks/${id.toUpperCase()}/${flip(secret)}`,
    ];
    const answers = await Promise.all(wrong.map((p) => postTo(a, p, { text: 'hello' })));
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        statusCode: 404,
        code: 'NOT_FOUND',
        message: 'No such webhook',
        requestId: expect.any(String),
      });
    }
    expect((await postTo(a, path, { text: 'right secret' })).status).toBe(201);

    // Deleted: its URL is a 404 on both replicas from the moment the delete answers.
    const watcher = await open(b, member);
    const del = await api(b.url, owner)('DELETE', `/channels/${channelId}/webhooks/${id}`);
    expect(del.status).toBe(204);
    for (const replica of [a, b]) {
      const res = await postTo(replica, path, { text: 'too late' });
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'NOT_FOUND', message: 'No such webhook' });
    }
    // Gone from the list, its account out of the channel, its messages still there under its name.
    const list = await api(a.url, owner)('GET', `/channels/${channelId}/webhooks`);
    expect(list.body.map((h: { id: string }) => h.id)).toEqual([other.id]);
    const left = await watcher.inbox.next('member:left', (e) => e.channelId === channelId);
    const members = await api(a.url, member)('GET', `/channels/${channelId}/members`);
    expect(members.body.map((m: { userId: string }) => m.userId)).not.toContain(left.userId);
    const history = await api(a.url, member)('GET', `/channels/${channelId}/messages`);
    expect(history.body.messages).toContainEqual(
      expect.objectContaining({
        body: 'right secret',
        author: { id: left.userId, username: left.username, bot: true },
      }),
    );
    const again = await api(a.url, owner)('DELETE', `/channels/${channelId}/webhooks/${id}`);
    expect(again.status).toBe(404);
  });

  it("answers 403 once the webhook's account was removed from the channel, and nothing is posted", async () => {
    const channelId = await channel('public', member);
    const { hook, path } = await createHook(channelId, 'kicked');
    const [account] = await sql('SELECT user_id AS id FROM webhooks WHERE id = $1', [hook.id]);
    expect((await api(a.url, owner)('DELETE', `/channels/${channelId}/members/${account.id}`)).status).toBe(
      204,
    );
    const res = await postTo(b, path, { text: 'anyone there?' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      code: 'FORBIDDEN',
      message: "The webhook's account may no longer post in this channel",
    });
    expect((await api(a.url, member)('GET', `/channels/${channelId}/messages`)).body.messages).toEqual([]);
  });

  it('refuses hostile bodies with 400 VALIDATION in the contract shape, and keeps answering', async () => {
    const channelId = await channel('public');
    const { path } = await createHook(channelId);
    const deep = `{"text":"hi","extra":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const cases: [string, { body?: unknown; raw?: string; contentType?: string }, RegExp?][] = [
      ['no text', { body: {} }, /^text /],
      ['5,000 characters', { body: { text: 'x'.repeat(5000) } }, /4000/],
      ['4,001 characters', { body: { text: 'y'.repeat(4001) } }],
      ['an empty text', { body: { text: '' } }],
      ['a blank text', { body: { text: '   \n\t ' } }, /after trimming/],
      ['a number', { body: { text: 42 } }, /^text must/],
      ['an array of texts', { body: { text: ['a', 'b'] } }],
      ['an object as text', { body: { text: { toString: 'x' } } }],
      ['null text', { body: { text: null } }],
      ['an unknown field', { body: { text: 'hi', username: 'admin' } }],
      ['an array body', { body: [{ text: 'hi' }] }],
      ['JSON nested 5,000 deep', { raw: deep }, /nested deeper/],
      ['broken JSON', { raw: '{"text": "hi"' }],
      ['plain text', { raw: 'hello', contentType: 'text/plain' }, /must be JSON/],
      ['JSON sent as text/plain', { raw: '{"text":"hi"}', contentType: 'text/plain' }],
      ['a form', { raw: 'text=hi', contentType: 'application/x-www-form-urlencoded' }, /must be JSON/],
    ];
    for (const [label, c, message] of cases) {
      const res = await postTo(a, path, c.body, { raw: c.raw, contentType: c.contentType });
      expect({ label, status: res.status }).toEqual({ label, status: 400 });
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION',
        message: message ? expect.stringMatching(message) : expect.any(String),
        requestId: expect.any(String),
      });
    }
    // No Content-Type at all (a byte body: fetch adds none).
    const bare = await fetch(`${a.url}${path}`, {
      method: 'POST',
      body: new TextEncoder().encode('{"text":"hi"}'),
    });
    expect(bare.status).toBe(400);
    expect(await bare.json()).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
    // Past the app's body limit: refused before it is read.
    const huge = await postTo(a, path, { text: 'z'.repeat(100 * 1024) });
    expect(huge.status).toBe(413);
    expect(huge.body).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // None of it was posted, and the hook still works (4,000 characters exactly, with a charset).
    const ok = await postTo(a, path, undefined, {
      raw: JSON.stringify({ text: 'w'.repeat(4000) }),
      contentType: 'application/json; charset=utf-8',
    });
    expect(ok.status).toBe(201);
    const history = await api(a.url, owner)('GET', `/channels/${channelId}/messages`);
    expect(history.body.messages.map((m: { body: string }) => m.body)).toEqual(['w'.repeat(4000)]);
  });

  it('limits each webhook to 60 posts a minute (429 RATE_LIMITED with Retry-After), others unaffected', async () => {
    const channelId = await channel('public');
    const noisy = await createHook(channelId, 'noisy');
    const quiet = await createHook(channelId, 'quiet');
    for (let i = 0; i < 60; i++) {
      // Spread over both replicas: the budget is shared.
      const res = await postTo(i % 2 ? a : b, noisy.path, { text: `n${i}` });
      expect(res.status).toBe(201);
    }
    const refused = await postTo(a, noisy.path, { text: 'one too many' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({
      statusCode: 429,
      code: 'RATE_LIMITED',
      requestId: expect.any(String),
    });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await postTo(b, quiet.path, { text: 'still fine' })).status).toBe(201);
    // A wrong secret does not spend the real hook's budget, and still answers 404 (not 429).
    expect((await postTo(a, `/hooks/${quiet.id}/${noisy.secret}`, { text: 'x' })).status).toBe(404);
  });

  it('lets only the owner, moderators and admins manage webhooks', async () => {
    const channelId = await channel('public', member);
    const { id } = await createHook(channelId);
    // A member: 403 for all three; someone outside a private channel: 404; nobody: 401.
    const privateId = await channel('private', member);
    const attempts = (user: TestUser | undefined, chan: string) => {
      const call = (method: string, path: string, body?: unknown) =>
        user ? api(a.url, user)(method, path, body) : request(a.url, method, path, { body });
      return Promise.all([
        call('POST', `/channels/${chan}/webhooks`, { name: 'sneaky' }),
        call('GET', `/channels/${chan}/webhooks`),
        call('DELETE', `/channels/${chan}/webhooks/${id}`),
      ]);
    };
    for (const [user, chan, status, code] of [
      [member, channelId, 403, 'FORBIDDEN'],
      [outsider, channelId, 403, 'FORBIDDEN'],
      [outsider, privateId, 404, 'NOT_FOUND'],
      [undefined, channelId, 401, 'UNAUTHORIZED'],
    ] as const) {
      for (const res of await attempts(user, chan)) {
        expect(res.status).toBe(status);
        expect(res.body).toMatchObject({ statusCode: status, code, requestId: expect.any(String) });
      }
    }
    expect((await api(a.url, owner)('GET', `/channels/${channelId}/webhooks`)).body).toHaveLength(1);

    // A moderator and an admin manage any channel's webhooks without being members.
    const moderator = await newUser(auth.url, 'mod');
    await setRoles(auth.url, admin, moderator.id, ['moderator', 'member']);
    const byMod = await createHook(privateId, 'by mod', moderator);
    expect(byMod.hook.createdBy).toBe(moderator.id);
    const byAdmin = await createHook(channelId, 'by admin', admin);
    expect((await api(b.url, moderator)('GET', `/channels/${channelId}/webhooks`)).body).toHaveLength(2);
    expect(
      (await api(b.url, moderator)('DELETE', `/channels/${channelId}/webhooks/${byAdmin.id}`)).status,
    ).toBe(204);
    // A webhook of another channel is not found through this one.
    expect((await api(a.url, owner)('DELETE', `/channels/${channelId}/webhooks/${byMod.id}`)).status).toBe(
      404,
    );
    // No webhooks in a DM.
    const dm = await api(a.url, owner)('POST', '/dms', { userId: member.id });
    const inDm = await api(a.url, owner)('POST', `/channels/${dm.body.id}/webhooks`, { name: 'dm hook' });
    expect(inDm.status).toBe(403);
  });

  it('refuses bad creation requests, and a 21st webhook in a channel', async () => {
    const channelId = await channel('public');
    for (const body of [
      {},
      { name: '' },
      { name: '   ' },
      { name: 'n'.repeat(65) },
      { name: 7 },
      { name: 'x', events: ['message:new'] },
      { name: 'x', secret: 'mine' },
      { name: 'x', url: 'http://127.0.0.1:9/hook', events: ['message:new'] },
      { name: 'x', url: 'ftp://example.com/hook' },
      { name: 'x', url: 'https://example.com/hook', events: ['user:banned'] },
    ]) {
      const res = await api(a.url, owner)('POST', `/channels/${channelId}/webhooks`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.body).toMatchObject({ statusCode: 400, code: 'VALIDATION' });
    }
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(a.url, owner)('POST', `/channels/${channelId}/webhooks`, { name: `h${i}` }),
      ),
    );
    expect(created.map((r) => r.status)).toEqual(Array(20).fill(201));
    const usernames = await sql(
      `SELECT u.username FROM webhooks w JOIN users u ON u.id = w.user_id WHERE w.channel_id = $1`,
      [channelId],
    );
    expect(new Set(usernames.map((r) => r.username)).size).toBe(20);
    const extra = await api(b.url, owner)('POST', `/channels/${channelId}/webhooks`, { name: 'one more' });
    expect(extra.status).toBe(409);
    expect(extra.body).toMatchObject({ code: 'CONFLICT' });
    expect((await api(a.url, owner)('GET', `/channels/${channelId}/webhooks`)).body).toHaveLength(20);
  });

  describe('outgoing, as far as creating one goes', () => {
    let allowing: Running;
    let receiver: Server;
    let receiverUrl: string;
    beforeAll(async () => {
      allowing = await startGateway(auth, { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
      receiver = createServer((_req, res) => res.end('ok'));
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`;
    });
    afterAll(async () => {
      await allowing?.close();
      await new Promise((r) => receiver?.close(r));
    });

    it('returns its signing secret once, lists it without; refuses internal URLs unless allowlisted', async () => {
      const channelId = await channel('public');
      for (const url of [
        'http://127.0.0.1:9/hook',
        'http://0x7f.1/x',
        'http://[::ffff:127.0.0.1]/x',
        'http://10.0.0.1/x',
      ]) {
        const res = await api(a.url, owner)('POST', `/channels/${channelId}/webhooks`, { name: 'out', url });
        expect({ url, status: res.status }).toEqual({ url, status: 400 });
        expect(res.body).toMatchObject({ code: 'VALIDATION' });
      }
      const res = await api(allowing.url, owner)('POST', `/channels/${channelId}/webhooks`, {
        name: 'out',
        url: receiverUrl,
        events: ['message:new'],
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        channelId,
        name: 'out',
        kind: 'outgoing',
        url: null,
        targetUrl: receiverUrl,
        events: ['message:new'],
        createdBy: owner.id,
        createdAt: expect.any(String),
        secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      });
      const [row] = await sql('SELECT secret, user_id FROM webhooks WHERE id = $1', [res.body.id]);
      expect(row).toEqual({ secret: res.body.secret, user_id: null });
      const list = await api(a.url, owner)('GET', `/channels/${channelId}/webhooks`);
      const { secret, ...listed } = res.body;
      expect(list.body).toEqual([listed]);
      expect(JSON.stringify(list.body)).not.toContain(secret);
      // All events when none are named; no hook URL to post to.
      const all = await api(allowing.url, owner)('POST', `/channels/${channelId}/webhooks`, {
        name: 'all',
        url: receiverUrl,
      });
      expect(all.body.events).toEqual(['message:new', 'message:updated', 'message:deleted']);
      expect((await postTo(a, `/hooks/${all.body.id}/${all.body.secret}`, { text: 'x' })).status).toBe(404);
      for (const h of [res.body, all.body])
        expect((await api(a.url, owner)('DELETE', `/channels/${channelId}/webhooks/${h.id}`)).status).toBe(
          204,
        );
    });
  });
});
