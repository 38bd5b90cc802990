import { Client } from 'pg';
import { startAuth, uniqueName, type Running } from '../../../test/support/apps';
import {
  api,
  closeSql,
  connect,
  newUser,
  send,
  sleep,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

/** A transaction of its own on the test database, to hold locks the gateway will wait on. */
async function blocker(): Promise<Client> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  await client.query('BEGIN');
  return client;
}

/**
 * Sends without attachments that queue behind a channel's write in flight are stored together,
 * in one statement: in arrival order, gap-free, and still exactly once per clientId.
 */
describe('gateway batched message writes', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let owner: TestUser;
  let member: TestUser;
  let outsider: TestUser;
  const sockets: TestSocket[] = [];
  const held: Client[] = [];

  const open = async (user: TestUser) => {
    const socket = await connect(gw.url, user.token);
    sockets.push(socket);
    return socket;
  };
  const channel = async () => {
    const res = await api(gw.url, owner)('POST', '/channels', { name: uniqueName('b'), kind: 'private' });
    await api(gw.url, owner)('POST', `/channels/${res.body.id}/members`, { userId: member.id });
    return res.body.id as string;
  };
  const lockChannel = async (channelId: string) => {
    const tx = await blocker();
    held.push(tx);
    await tx.query('SELECT 1 FROM channels WHERE id = $1 FOR UPDATE', [channelId]);
    return tx;
  };
  /**
   * Sends from a socket of its own (a socket runs its commands one at a time), a moment after the
   * previous one, so they reach the gateway in this order. Resolves once sent, with its answer.
   */
  const queue = async (user: TestUser, body: string, channelId: string, clientId?: string) => {
    const socket = await open(user);
    const answer = send(socket, 'message:send', { channelId, body, clientId }, 15000);
    await sleep(50);
    return { answer };
  };
  const rows = (channelId: string) =>
    sql<{ seq: string; body: string; created_at: Date }>(
      'SELECT seq, body, created_at FROM messages WHERE channel_id = $1 ORDER BY seq',
      [channelId],
    );

  beforeAll(async () => {
    auth = await startAuth({ REDIS_URL: '' });
    gw = await startGateway(auth, { REDIS_URL: '' });
    [owner, member, outsider] = await Promise.all([
      newUser(auth.url, 'own'),
      newUser(auth.url, 'mem'),
      newUser(auth.url, 'out'),
    ]);
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const tx of held.splice(0)) await tx.end().catch(() => undefined);
  });

  afterAll(async () => {
    await gw?.close();
    await auth?.close();
    await closeSql();
  });

  it('stores what queued behind a write as one statement, in arrival order, each clientId once, members only', async () => {
    const id = await channel();
    const used = await send(await open(owner), 'message:send', {
      channelId: id,
      body: 'used',
      clientId: 'u',
    });
    const lock = await lockChannel(id);
    const inFlight = await queue(owner, 'in flight', id);
    const acks = [
      await queue(owner, 'one', id, 'c'),
      await queue(member, 'two', id),
      await queue(outsider, 'intruder', id),
      await queue(owner, 'used again', id, 'u'),
      await queue(owner, 'one again', id, 'c'),
      await queue(member, 'three', id, 'c'),
    ];
    await lock.query('COMMIT');
    expect(await inFlight.answer).toMatchObject({ ok: true, message: { seq: 2, body: 'in flight' } });
    const [one, two, intruder, usedAgain, oneAgain, three] = await Promise.all(acks.map((a) => a.answer));
    expect(one).toMatchObject({ ok: true, message: { seq: 3, body: 'one', clientId: 'c' } });
    expect(two).toMatchObject({ ok: true, message: { seq: 4, body: 'two', author: { id: member.id } } });
    // Someone outside this private channel learns nothing, and takes no seq.
    expect(intruder).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'Channel not found' } });
    // A clientId already used, before or in the same batch, answers the original.
    expect(usedAgain).toEqual(used);
    expect(oneAgain).toEqual(one);
    // Another author's clientId is theirs.
    expect(three).toMatchObject({ ok: true, message: { seq: 5, body: 'three', clientId: 'c' } });
    const stored = await rows(id);
    expect(stored.map((r) => [Number(r.seq), r.body])).toEqual([
      [1, 'used'],
      [2, 'in flight'],
      [3, 'one'],
      [4, 'two'],
      [5, 'three'],
    ]);
    // One statement is one transaction: its rows share their created_at (Postgres's now()).
    expect(new Set(stored.slice(2).map((r) => r.created_at.getTime())).size).toBe(1);
    expect(stored[1].created_at.getTime()).not.toBe(stored[2].created_at.getTime());
  });

  it('stores the rest of a batch, gap-free, when another writer takes one of its clientIds meanwhile', async () => {
    const id = await channel();
    const elsewhere = await channel();
    const lock = await lockChannel(id);
    const first = await queue(owner, 'first', id);
    const batch = [
      await queue(member, 'before', id),
      await queue(owner, 'contested', id, 'late'),
      await queue(member, 'after', id),
    ];
    // Another writer stores the same author's clientId in another channel, committing only once
    // the batch's statement has checked for it and is waiting to insert.
    const rival = await blocker();
    held.push(rival);
    await rival.query(
      `WITH c AS (UPDATE channels SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq)
       INSERT INTO messages (channel_id, seq, author_id, body, client_id)
       SELECT $1, last_seq, $2, 'rival', 'late' FROM c`,
      [elsewhere, owner.id],
    );
    await lock.query('COMMIT');
    expect(await first.answer).toMatchObject({ ok: true, message: { seq: 1 } });
    await sleep(300);
    await rival.query('COMMIT');
    const [before, contested, after] = await Promise.all(batch.map((b) => b.answer));
    expect(before).toMatchObject({ ok: true, message: { seq: 2, body: 'before' } });
    expect(contested).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.any(String) } });
    expect(after).toMatchObject({ ok: true, message: { seq: 3, body: 'after' } });
    expect((await rows(id)).map((r) => [Number(r.seq), r.body])).toEqual([
      [1, 'first'],
      [2, 'before'],
      [3, 'after'],
    ]);
    expect(await sql('SELECT last_seq FROM channels WHERE id = $1', [id])).toEqual([{ last_seq: '3' }]);
  });
});
