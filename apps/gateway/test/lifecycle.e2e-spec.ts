import { Client } from 'pg';
import { request, startAuth, uniqueName, type Running } from '../../../test/support/apps';
import { describeWithRedis } from '../../../test/support/env';
import {
  api,
  closeSql,
  connect,
  disconnected,
  Inbox,
  newUser,
  refusal,
  send,
  sql,
  startGateway,
  type TestSocket,
  type TestUser,
} from '../../../test/support/gateway';

/** The value of a Prometheus series with (at least) these labels, whatever their order. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([\w:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const has = Object.entries(labels).every(([k, v]) => m[2].split(',').includes(`${k}="${v}"`));
    if (has) return Number(m[3]);
  }
  return undefined;
}

/** Health, readiness, metrics, and a graceful shutdown that finishes what it started. */
describeWithRedis('gateway lifecycle', () => {
  let auth: Running & { jwksUrl: string };
  let gw: Running;
  let user: TestUser;
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    auth = await startAuth();
    gw = await startGateway(auth);
    user = await newUser(auth.url, 'ops');
  });

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await gw?.close();
    await auth?.close();
    await closeSql();
  });

  it('answers liveness and readiness with Postgres, Redis and the event bus checked', async () => {
    const ready = await request(gw.url, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    const details = {
      lifecycle: { status: 'up' },
      database: { status: 'up' },
      ...(process.env.REDIS_URL
        ? { redis: { status: 'up', critical: false }, eventBus: { status: 'up', state: 'subscribed' } }
        : { eventBus: { status: 'up', state: 'subscribed' } }),
    };
    expect(ready.body.details).toEqual(details);
    expect((await request(gw.url, 'GET', '/healthz')).body).toEqual({ status: 'ok', details });
    const metrics = await fetch(`${gw.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/^dependency_up\{dependency="database",critical="true",service="gateway"\} 1$/m);
    expect(metrics).toMatch(/^service_ready\{service="gateway"\} 1$/m);
    expect(metrics).toMatch(/^event_bus_subscribed\{service="gateway"\} 1$/m);
  });

  it('exposes socket, command and message metrics', async () => {
    const channelId = (
      await api(gw.url, user)('POST', '/channels', { name: uniqueName('m'), kind: 'public' })
    ).body.id;
    const socket = await connect(gw.url, user.token);
    sockets.push(socket);
    await send(socket, 'message:send', { channelId, body: 'counted' });
    await send(socket, 'channel:sync', { channelId: '00000000-0000-4000-8000-000000000000', afterSeq: 0 });
    // The ack goes at commit, before the fan-out: read the metrics once the fan-out is counted too.
    let text = '';
    for (let i = 0; i < 50; i++) {
      text = (await request(gw.url, 'GET', '/metrics')).body as string;
      if (metric(text, 'gateway_events_fanned_out_total', { event: 'message:new' }) !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(metric(text, 'gateway_connected_sockets')).toBe(1);
    expect(metric(text, 'gateway_commands_total', { command: 'message:send', outcome: 'ok' })).toBe(1);
    expect(metric(text, 'gateway_commands_total', { command: 'channel:sync', outcome: 'NOT_FOUND' })).toBe(1);
    expect(metric(text, 'gateway_command_duration_seconds_count', { command: 'message:send' })).toBe(1);
    expect(metric(text, 'gateway_messages_persisted_total')).toBe(1);
    expect(metric(text, 'gateway_events_fanned_out_total', { event: 'message:new' })).toBe(1);
  });

  it('drains on shutdown: refuses new and queued work, finishes commands in flight, then closes connections', async () => {
    const draining = await startGateway(auth, { SHUTDOWN_GRACE_MS: '8000' });
    // Someone without recent sockets (one closed moments ago keeps its presence a while).
    const mover = await newUser(auth.url, 'mover');
    const channelId = (
      await api(draining.url, mover)('POST', '/channels', { name: uniqueName('d'), kind: 'public' })
    ).body.id;
    const watcherUser = await newUser(auth.url, 'watch');
    await api(gw.url, watcherUser)('POST', `/channels/${channelId}/join`);
    const watcher = await connect(gw.url, watcherUser.token);
    sockets.push(watcher);
    const watching = new Inbox(watcher);
    await send(watcher, 'presence:subscribe', { userIds: [mover.id] });
    const socket = await connect(draining.url, mover.token);
    sockets.push(socket);
    expect(await watching.next('presence')).toMatchObject({ userId: mover.id, online: true });
    // Hold the channel's row lock, so the next send is stuck mid-transaction.
    const blocker = new Client({ connectionString: process.env.DATABASE_URL });
    await blocker.connect();
    await blocker.query('BEGIN');
    await blocker.query('SELECT 1 FROM channels WHERE id = $1 FOR UPDATE', [channelId]);
    const inFlight = send(socket, 'message:send', { channelId, body: 'in flight' }, 15000);
    // Queued behind it on the same connection: not started when the drain begins, so refused.
    const queued = send(socket, 'message:send', { channelId, body: 'queued', clientId: 'q1' }, 15000);
    await new Promise((r) => setTimeout(r, 200));
    const closing = draining.close();
    const gone = disconnected(socket, 15000);
    await new Promise((r) => setTimeout(r, 200));
    try {
      const ready = await request(draining.url, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.error.lifecycle).toEqual({ status: 'down', message: 'draining' });
      expect(await send(socket, 'channel:sync', { channelId, afterSeq: 0 })).toEqual({
        ok: false,
        error: { code: 'UNAVAILABLE', message: expect.any(String) },
      });
      const refused = await refusal(draining.url, mover.token);
      expect(refused.message).toBe('websocket error');
      expect(socket.connected).toBe(true);
    } finally {
      await blocker.query('COMMIT');
      await blocker.end();
    }
    const ack = await inFlight;
    expect(ack).toMatchObject({ ok: true, message: { body: 'in flight', seq: 1 } });
    expect(await queued).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: expect.any(String) } });
    // A transport close, not a server "disconnect": socket.io clients reconnect on their own.
    expect(await gone).toBe('transport close');
    await closing;
    expect(await sql('SELECT body FROM messages WHERE channel_id = $1', [channelId])).toEqual([
      { body: 'in flight' },
    ]);
    // Reconnecting elsewhere within the drain grace: the others never saw the user go offline.
    sockets.push(await connect(gw.url, mover.token));
    expect(await watching.during('presence', 1000)).toEqual([]);
    expect(watching.all('presence', (p) => !p.online)).toEqual([]);
  }, 30000);
});
