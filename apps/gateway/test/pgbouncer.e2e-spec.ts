import { startAuth, type Running } from '../../../test/support/apps';
import {
  api,
  closeSql,
  connect,
  Inbox,
  newUser,
  send,
  sleep,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';
import { startPgBouncer, type PgBouncer } from '../../../test/support/pgbouncer';

/**
 * The services behind a real PgBouncer in transaction mode (Debian's 1.18: no prepared-statement
 * support, so DATABASE_PREPARED_STATEMENTS=false), with few server connections so that every
 * client connection really is shared: two gateway replicas' batched writes, edits, deletes and
 * catch-up stay exactly-once and gap-free, and the background workers log no error. And what goes
 * wrong with prepared statements left on there (docs/operations.md "Connection pooling").
 */

/** Every log line the services in this process write (pino writes to process.stdout under jest). */
function captureLogs(): { lines: () => string[]; restore: () => void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((data: unknown, ...rest: unknown[]) => {
    chunks.push(typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString());
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  });
  return {
    lines: () => chunks.join('').split('\n').filter(Boolean),
    restore: () => spy.mockRestore(),
  };
}

const errorLines = (lines: string[]) =>
  lines.filter((l) => {
    try {
      return (JSON.parse(l) as { level?: number }).level! >= 50;
    } catch {
      return /error/i.test(l);
    }
  });

describe('services behind PgBouncer 1.18 in transaction mode, prepared statements off', () => {
  let bouncer: PgBouncer;
  let auth: Running & { jwksUrl: string };
  const gateways: Running[] = [];
  let owner: TestUser;
  let member: TestUser;
  let logs: ReturnType<typeof captureLogs>;
  const sockets: TestSocket[] = [];
  let a: Running;
  let b: Running;

  const open = async (replica: Running, user: TestUser) => {
    const s = await connect(replica.url, user.token);
    sockets.push(s);
    return { socket: s, inbox: new Inbox(s) };
  };
  const channel = async () => {
    const res = await api(a.url, owner)('POST', '/channels', { name: `pool-${Date.now()}`, kind: 'private' });
    expect(res.status).toBe(201);
    const added = await api(a.url, owner)('POST', `/channels/${res.body.id}/members`, { userId: member.id });
    expect(added.status).toBeLessThan(300);
    return res.body.id as string;
  };

  beforeAll(async () => {
    bouncer = await startPgBouncer(process.env.TEST_DATABASE_SERVER_URL ?? process.env.DATABASE_URL!, {
      defaultPoolSize: 3,
    });
    logs = captureLogs();
    const env = {
      DATABASE_URL: bouncer.urlFor(process.env.DATABASE_URL!),
      DATABASE_PREPARED_STATEMENTS: 'false',
      DATABASE_POOL_SIZE: '6',
      LOG_LEVEL: 'warn',
      // The background workers, often: presence sweeps, gap repair, the email digest.
      PRESENCE_SWEEP_MS: '300',
      FANOUT_GAP_REPAIR_MS: '200',
      EMAIL_NOTIFY_AFTER: '1s',
    };
    auth = await startAuth(env);
    gateways.push(await startGateway(auth, env), await startGateway(auth, env));
    [a, b] = gateways;
    [owner, member] = await Promise.all([newUser(auth.url, 'pool'), newUser(auth.url, 'pool')]);
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await Promise.all(gateways.map((g) => g.close()));
    await auth?.close();
    logs?.restore();
    await closeSql();
    await bouncer?.stop();
  });

  it('really goes through a 1.18 pooler with fewer server connections than clients', () => {
    expect(bouncer.version).toMatch(/^1\.\d+/);
    expect(new URL(bouncer.urlFor(process.env.DATABASE_URL!)).port).not.toBe(
      new URL(process.env.DATABASE_URL!).port,
    );
  });

  it('stores 240 concurrent sends from 8 sockets on two replicas gap-free, each acked once and delivered', async () => {
    const channelId = await channel();
    const listener = await open(b, member);
    const senders = await Promise.all(
      [a, b, a, b, a, b, a, b].map((replica, i) => open(replica, i % 2 ? member : owner)),
    );
    const perSocket = 30;
    const acks = await Promise.all(
      senders.flatMap(({ socket }, i) =>
        Array.from({ length: perSocket }, (_, j) =>
          send(socket, 'message:send', { channelId, body: `m ${i}.${j}`, clientId: `c-${i}-${j}` }, 20_000),
        ),
      ),
    );
    const total = senders.length * perSocket;
    expect(acks.filter((x) => !x.ok)).toEqual([]);
    const seqs = acks.map((x) => x.message.seq as number).sort((p, q) => p - q);
    expect(seqs).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    expect(new Set(acks.map((x) => x.message.id)).size).toBe(total);

    const rows = await sql<{ seq: string; client_id: string }>(
      'SELECT seq, client_id FROM messages WHERE channel_id = $1 ORDER BY seq',
      [channelId],
    );
    expect(rows.map((r) => Number(r.seq))).toEqual(seqs);
    expect(new Set(rows.map((r) => r.client_id)).size).toBe(total);
    // The member's socket on the other replica got every message once, in seq order.
    const got = await listener.inbox.count('message:new', total, (m) => m.channelId === channelId, 20_000);
    expect(got.map((m) => m.seq)).toEqual(seqs);

    // A resend of an acked clientId (a client retrying after a lost ack) stores nothing new.
    const again = await send(senders[0].socket, 'message:send', {
      channelId,
      body: 'm 0.0',
      clientId: 'c-0-0',
    });
    expect(again.ok && again.message.seq).toBe(acks[0].message.seq);
    expect((await sql('SELECT 1 FROM messages WHERE channel_id = $1', [channelId])).length).toBe(total);
  });

  it('edits and deletes through one replica reach the other, and catch-up after a reconnect has them', async () => {
    const channelId = await channel();
    const writer = await open(a, owner);
    const sent: { id: string; seq: number }[] = [];
    for (let i = 0; i < 10; i++)
      sent.push((await send(writer.socket, 'message:send', { channelId, body: `before ${i}` })).message);
    const reader = await open(b, member);
    const lastSeen = sent[sent.length - 1].seq;
    const sync0 = await send(reader.socket, 'channel:sync', { channelId, afterSeq: 0 });
    expect(sync0.ok && sync0.messages.map((m: { seq: number }) => m.seq)).toEqual(sent.map((m) => m.seq));
    const syncedAt = sync0.syncedAt as string;

    const edited = await send(writer.socket, 'message:edit', { messageId: sent[2].id, body: 'edited' });
    expect(edited.ok).toBe(true);
    expect(await reader.inbox.next('message:updated', (m) => m.id === sent[2].id)).toMatchObject({
      body: 'edited',
    });
    expect((await send(writer.socket, 'message:delete', { messageId: sent[3].id })).ok).toBe(true);
    await reader.inbox.next('message:deleted', (m) => m.messageId === sent[3].id || m.id === sent[3].id);

    // The reader drops off; meanwhile 25 more messages and another edit.
    reader.socket.close();
    const missed = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        send(writer.socket, 'message:send', { channelId, body: `missed ${i}` }),
      ),
    );
    expect(missed.every((x) => x.ok)).toBe(true);
    expect(
      (await send(writer.socket, 'message:edit', { messageId: sent[5].id, body: 'edited later' })).ok,
    ).toBe(true);

    const back = await open(a, member);
    const sync = await send(back.socket, 'channel:sync', {
      channelId,
      afterSeq: lastSeen,
      changedSince: syncedAt,
    });
    expect(sync.ok).toBe(true);
    expect(sync.messages.map((m: { seq: number }) => m.seq)).toEqual(
      Array.from({ length: 25 }, (_, i) => lastSeen + 1 + i),
    );
    expect(sync.hasMore).toBe(false);
    const changed = new Map<string, { body: string; deleted?: boolean }>(
      sync.changes.map((m: { id: string; body: string; deleted?: boolean }) => [m.id, m]),
    );
    expect(changed.get(sent[2].id)?.body).toBe('edited');
    expect(changed.get(sent[3].id)?.deleted).toBe(true);
    expect(changed.get(sent[5].id)?.body).toBe('edited later');
  });

  it('runs its background workers through the pooler without logging an error', async () => {
    // Sweeps, gap repair and the digest ran every few hundred ms during the tests; one more beat.
    await sleep(1500);
    expect(errorLines(logs.lines())).toEqual([]);
  });
});

describe('prepared statements left on behind PgBouncer 1.18 in transaction mode', () => {
  let bouncer: PgBouncer;
  let auth: Running & { jwksUrl: string };
  const gateways: Running[] = [];
  const sockets: TestSocket[] = [];
  let logs: ReturnType<typeof captureLogs>;

  beforeAll(async () => {
    bouncer = await startPgBouncer(process.env.TEST_DATABASE_SERVER_URL ?? process.env.DATABASE_URL!, {
      defaultPoolSize: 2,
    });
    logs = captureLogs();
    const env = {
      DATABASE_URL: bouncer.urlFor(process.env.DATABASE_URL!),
      DATABASE_PREPARED_STATEMENTS: 'true',
      LOG_LEVEL: 'warn',
    };
    auth = await startAuth(env);
    gateways.push(await startGateway(auth, env), await startGateway(auth, env));
  });

  afterAll(async () => {
    for (const s of sockets.splice(0)) s.close();
    await Promise.all(gateways.map((g) => g.close()));
    await auth?.close();
    logs?.restore();
    await closeSql();
    await bouncer?.stop();
  });

  it('fails connects and sends with "prepared statement … already exists / does not exist", as the docs warn', async () => {
    const owner = await newUser(auth.url, 'prep');
    // Straight to Postgres: the pooler would fail the REST call the same way.
    const [{ id: channelId }] = await sql<{ id: string }>(
      `INSERT INTO channels (name, kind, topic, created_by) VALUES ($1, 'public', '', $2) RETURNING id`,
      [`prep-${Date.now()}`, owner.id],
    );
    await sql(`INSERT INTO memberships (channel_id, user_id, role) VALUES ($1, $2, 'owner')`, [
      channelId,
      owner.id,
    ]);
    // One replica's connection prepares a statement on a server connection; the pooler then
    // hands that server connection to the other replica's client (or the first client's next
    // transaction to another server connection), which never saw its own PREPARE there. The
    // handshake's reads are prepared statements too, so a connect can fail as well as a send.
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      let socket: TestSocket;
      try {
        socket = await connect(gateways[i % 2].url, owner.token);
      } catch (err) {
        outcomes.push(`connect ${(err as Error).message}`);
        continue;
      }
      sockets.push(socket);
      const ack = await send(socket, 'message:send', { channelId, body: `p ${i}` }, 10_000);
      outcomes.push(ack.ok ? 'ok' : `send ${ack.error.code}`);
    }
    const failed = outcomes.filter((o) => o !== 'ok');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f).toMatch(/^(connect|send) INTERNAL$/);
    const logged = errorLines(logs.lines()).map(
      (l) => (JSON.parse(l) as { err?: { message?: string } }).err?.message,
    );
    expect(logged.join('\n')).toMatch(/prepared statement "chat_\w+" (already exists|does not exist)/);
  });
});
