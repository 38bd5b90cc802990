import { DELETED_USER_NAME, type AuthResult, type Message } from '@chat/contracts';
import { registerUser, request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import {
  api,
  closeSql,
  connect,
  disconnected,
  Inbox,
  refusal,
  sql,
  startGateway,
  uploadedFile,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

const PASSWORD = 'password-123';

/**
 * What others see when a person deletes their account, and what the person's tokens and sockets
 * can still do (nothing), across a real auth service, gateway, Postgres and Redis.
 */
describe('account deletion seen from the gateway (e2e)', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  const sockets: TestSocket[] = [];

  const register = async (prefix: string): Promise<TestUser & AuthResult> => {
    const r = await registerUser(auth.url, uniqueName(prefix), PASSWORD);
    return { ...r, id: r.user.id, username: r.user.username, token: r.accessToken };
  };
  const deleteAccount = (user: TestUser, body: unknown) =>
    request(auth.url, 'DELETE', '/auth/me', { token: user.token, body });
  const history = async (reader: TestUser, channelId: string): Promise<Message[]> => {
    const res = await api(gw.url, reader)('GET', `/channels/${channelId}/messages?limit=100`);
    expect(res.status).toBe(200);
    return res.body.messages;
  };

  beforeAll(async () => {
    // An admin of its own, so that neither person here is the first account (and so an admin).
    auth = await startAuth({ ADMIN_USERNAME: uniqueName('admin'), ADMIN_PASSWORD: 'admin-password-123' });
    gw = await startGateway(auth);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await gw?.close();
    await auth?.close();
    await closeSql();
  });

  it('ends the socket within 5 s and every token; messages and membership stay as "deleted user"; the name is free', async () => {
    const [alice, bob] = [await register('alice'), await register('bob')];
    const asAlice = api(gw.url, alice);
    const asBob = api(gw.url, bob);
    const channelId = (await asAlice('POST', '/channels', { name: uniqueName('del'), kind: 'public' })).body
      .id;
    expect((await asBob('POST', `/channels/${channelId}/join`)).status).toBe(200);
    const said = (await asAlice('POST', `/channels/${channelId}/messages`, { body: 'remember me' })).body;
    const answer = (await asBob('POST', `/channels/${channelId}/messages`, { body: 'sure' })).body;
    const dm = (await asBob('POST', '/dms', { userId: alice.id })).body;
    expect(dm.name).toBe(alice.username);
    const socket = await connect(gw.url, alice.token);
    sockets.push(socket);
    const bobSocket = await connect(gw.url, bob.token);
    sockets.push(bobSocket);

    const started = Date.now();
    const gone = disconnected(socket, 5000);
    expect((await deleteAccount(alice, { password: PASSWORD })).status).toBe(204);
    await gone;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(bobSocket.connected).toBe(true);

    // The access token is refused by the gateway (REST and handshake) and auth; the refresh token too.
    expect((await asAlice('GET', '/channels')).status).toBe(401);
    expect((await refusal(gw.url, alice.token)).message).toBe('UNAUTHORIZED');
    expect((await request(auth.url, 'GET', '/auth/me', { token: alice.token })).status).toBe(401);
    const refreshed = await request(auth.url, 'POST', '/auth/refresh', {
      body: { refreshToken: alice.refreshToken },
    });
    expect(refreshed.status).toBe(401);
    const login = await request(auth.url, 'POST', '/auth/login', {
      body: { username: alice.username, password: PASSWORD },
    });
    expect(login.status).toBe(401);

    // Bob still reads the message, by "deleted user"; his own keeps his name.
    const messages = await history(bob, channelId);
    expect(messages.find((m) => m.id === said.id)).toMatchObject({
      body: 'remember me',
      deleted: false,
      author: { id: alice.id, username: DELETED_USER_NAME },
    });
    expect(messages.find((m) => m.id === answer.id)?.author).toMatchObject({ username: bob.username });
    const members = (await asBob('GET', `/channels/${channelId}/members`)).body as {
      userId: string;
      username: string;
    }[];
    expect(members.find((m) => m.userId === alice.id)?.username).toBe(DELETED_USER_NAME);
    expect(JSON.stringify(messages)).not.toContain(alice.username);
    // Bob's direct messages with her are with "deleted user" now.
    const channels = (await asBob('GET', '/channels')).body as { id: string; name: string }[];
    expect(channels.find((c) => c.id === dm.id)?.name).toBe(DELETED_USER_NAME);

    // The profile is erased in the database, and the old name can be taken by someone new.
    const [row] = await sql(
      'SELECT username, email, password_hash, roles, deactivated_at FROM users WHERE id = $1',
      [alice.id],
    );
    expect(row).toEqual({
      username: expect.stringMatching(/^deleted-[0-9a-f]{24}$/),
      email: null,
      password_hash: null,
      roles: ['member'],
      deactivated_at: expect.any(Date),
    });
    // Nobody finds the account in the user search, by either name.
    for (const prefix of [alice.username, row.username]) {
      const found = (await asBob('GET', `/users?q=${encodeURIComponent(prefix)}`)).body as { id: string }[];
      expect(found.map((u) => u.id)).not.toContain(alice.id);
    }
    // Nobody can add the deleted account to a channel it was not in.
    const elsewhere = (await asBob('POST', '/channels', { name: uniqueName('new'), kind: 'public' })).body.id;
    expect((await asBob('POST', `/channels/${elsewhere}/members`, { userId: alice.id })).status).toBe(404);
    const again = await registerUser(auth.url, alice.username, 'another-password-1');
    expect(again.user.id).not.toBe(alice.id);
    // The newcomer with the old name is not the author of the old messages.
    expect((await history(bob, channelId)).find((m) => m.id === said.id)?.author.username).toBe(
      DELETED_USER_NAME,
    );
  });

  it('with eraseMessages, every message of the account becomes a deleted one, in batches, for everyone', async () => {
    const [carol, dave] = [await register('carol'), await register('dave')];
    const asCarol = api(gw.url, carol);
    const asDave = api(gw.url, dave);
    const channelId = (await asCarol('POST', '/channels', { name: uniqueName('era'), kind: 'public' })).body
      .id;
    expect((await asDave('POST', `/channels/${channelId}/join`)).status).toBe(200);
    const file = await uploadedFile(channelId, carol.id);
    const withFile = (
      await asCarol('POST', `/channels/${channelId}/messages`, {
        body: 'look @' + dave.username,
        attachmentIds: [file],
      })
    ).body;
    const davesOwn = (await asDave('POST', `/channels/${channelId}/messages`, { body: 'nice' })).body;
    // A long history too, past one batch, in a channel carol has left since.
    const other = (await asCarol('POST', '/channels', { name: uniqueName('old'), kind: 'public' })).body.id;
    await sql(
      `WITH ins AS (
         INSERT INTO messages (channel_id, seq, author_id, body, created_at)
         SELECT $1, s, $2, 'old ' || s, now() - (1200 - s) * interval '1 ms' FROM generate_series(1, 1200) s
         RETURNING 1)
       UPDATE channels SET last_seq = 1200 WHERE id = $1`,
      [other, carol.id],
    );
    expect((await asCarol('POST', `/channels/${other}/leave`)).status).toBe(204);

    const daveSocket = await connect(gw.url, dave.token);
    sockets.push(daveSocket);
    const inbox = new Inbox(daveSocket);

    expect((await deleteAccount(carol, { password: PASSWORD, eraseMessages: true })).status).toBe(204);

    // Dave's open client is told at once; the channel carol left has no socket of his.
    expect(await inbox.next('message:deleted', (e) => e.id === withFile.id)).toEqual({
      id: withFile.id,
      channelId,
      seq: withFile.seq,
    });
    expect(inbox.all('message:deleted', (e) => e.id === davesOwn.id)).toEqual([]);

    const messages = await history(dave, channelId);
    expect(messages.find((m) => m.id === withFile.id)).toMatchObject({
      deleted: true,
      body: '',
      attachments: [],
      author: { id: carol.id, username: DELETED_USER_NAME },
      seq: withFile.seq,
    });
    expect(messages.find((m) => m.id === davesOwn.id)).toMatchObject({ deleted: false, body: 'nice' });
    const [left] = await sql<{ live: string; total: string }>(
      `SELECT count(*) FILTER (WHERE deleted_at IS NULL AND body <> '') AS live, count(*) AS total
         FROM messages WHERE author_id = $1`,
      [carol.id],
    );
    expect(left).toEqual({ live: '0', total: '1201' });
    // Done: no longer recorded as under way.
    const [account] = await sql('SELECT messages_erasure_at FROM users WHERE id = $1', [carol.id]);
    expect(account).toEqual({ messages_erasure_at: null });
    const search = await asDave('GET', `/search?q=look&channelId=${channelId}`);
    expect(search.body.messages).toEqual([]);
    // Nothing of dave's was touched.
    const [daves] = await sql<{ live: string }>(
      'SELECT count(*) AS live FROM messages WHERE author_id = $1 AND deleted_at IS NULL',
      [dave.id],
    );
    expect(daves.live).toBe('1');
  });

  it('an erasure left part-way is finished by an auth replica once its lease lapsed; a live one is left alone', async () => {
    const [erin, frank, gina] = [await register('erin'), await register('frank'), await register('gina')];
    const channelId = (
      await api(gw.url, gina)('POST', '/channels', { name: uniqueName('res'), kind: 'public' })
    ).body.id;
    // 700 of erin's (more than a batch), 3 of frank's.
    await sql(
      `WITH ins AS (
         INSERT INTO messages (channel_id, seq, author_id, body, created_at)
         SELECT $1, s, CASE WHEN s <= 700 THEN $2 ELSE $3 END::uuid, 'said ' || s,
                now() - (703 - s) * interval '1 ms'
           FROM generate_series(1, 703) s
         RETURNING 1)
       UPDATE channels SET last_seq = 703 WHERE id = $1`,
      [channelId, erin.id, frank.id],
    );
    // Both delete their accounts, asking for their messages to go. What a replica that stopped
    // part-way leaves for erin: the erasure recorded, its last sign of life past the lease, and
    // messages left (the newest 200 erased). Frank's is under way on a live replica.
    for (const user of [erin, frank])
      expect((await deleteAccount(user, { password: PASSWORD, eraseMessages: true })).status).toBe(204);
    await sql(
      `UPDATE messages SET deleted_at = NULL, body = 'said ' || seq
        WHERE channel_id = $1 AND ((author_id = $2 AND seq <= 500) OR author_id = $3)`,
      [channelId, erin.id, frank.id],
    );
    await sql(`UPDATE users SET messages_erasure_at = now() - interval '10 minutes' WHERE id = $1`, [
      erin.id,
    ]);
    await sql(`UPDATE users SET messages_erasure_at = now() WHERE id = $1`, [frank.id]);
    const live = async (authorId: string) =>
      Number(
        (
          await sql<{ n: string }>(
            'SELECT count(*) AS n FROM messages WHERE author_id = $1 AND deleted_at IS NULL',
            [authorId],
          )
        )[0].n,
      );
    expect([await live(erin.id), await live(frank.id)]).toEqual([500, 3]);

    const stamp = async (userId: string) =>
      (
        await sql<{ at: Date | null }>('SELECT messages_erasure_at AS at FROM users WHERE id = $1', [userId])
      )[0].at;
    // Another auth replica starts (or this one restarts): it takes erin's over and finishes it.
    // Finished means the stamp is cleared too, after the last batch: a replica stopped between the
    // last batch and that leaves the stamp for the next one, so the wait is for both.
    const replica = await startAuth({ ACCOUNT_ERASURE_SWEEP_SECONDS: '1' });
    try {
      const deadline = Date.now() + 20_000;
      while ((await live(erin.id)) > 0 || (await stamp(erin.id)) !== null) {
        if (Date.now() > deadline)
          throw new Error(`erin's erasure was not finished: ${await live(erin.id)} left`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await replica.close();
    }
    const messages = await history(gina, channelId);
    expect(messages.filter((m) => m.author.id === erin.id).every((m) => m.deleted && m.body === '')).toBe(
      true,
    );
    const [erinRow, frankRow] = await sql<{ messages_erasure_at: Date | null }>(
      'SELECT messages_erasure_at FROM users WHERE id = ANY($1) ORDER BY id = $2 DESC',
      [[erin.id, frank.id], erin.id],
    );
    expect(erinRow.messages_erasure_at).toBeNull();
    // Frank's replica is alive (its stamp is fresh): nobody else touched his.
    expect(frankRow.messages_erasure_at).toEqual(expect.any(Date));
    expect(await live(frank.id)).toBe(3);
    await sql('UPDATE users SET messages_erasure_at = NULL WHERE id = $1', [frank.id]);
  });
});
