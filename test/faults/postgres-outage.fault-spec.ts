import { request } from '../support/apps';
import { ChatClient } from './support/chat-client';
import { sleep, startLoopMonitor, summarize, waitFor, writeFigures } from './support/servers';
import {
  deliveryReport,
  expectNothingLost,
  loadGroups,
  privateChannel,
  readyz,
  register,
  startFaultStack,
  type FaultStack,
  type LoadGroup,
} from './support/stack';

/**
 * Postgres becomes unreachable for 8 s (a TCP proxy of the test's own between the services and
 * the shared server is cut: new connections refused, live ones reset mid-query). The database is
 * where a message becomes real, so nothing may be acknowledged while it is gone: sends fail with
 * UNAVAILABLE, and the outbox's retries with the same clientId afterwards store each exactly once.
 * The services recover on their own, without a restart.
 */
describe('fault: Postgres is unreachable for 8 s', () => {
  const OUTAGE_MS = 8000;
  const GROUPS = 4;
  const PER_GROUP = 3;
  const RATE = 60;
  const INTERVAL_MS = Math.round((1000 * GROUPS * PER_GROUP) / RATE);
  let fs: FaultStack;
  let groups: LoadGroup[] = [];
  let probe: ChatClient | undefined;

  beforeAll(async () => {
    fs = await startFaultStack({ gateways: 3, postgresProxy: true });
  }, 120_000);

  afterAll(async () => {
    for (const c of groups.flatMap((g) => g.clients)) c.close();
    probe?.close();
    await fs?.stop();
  });

  it('never acknowledges a send it could not store, answers UNAVAILABLE, and recovers without a restart', async () => {
    const { gateways, auth, media } = fs.stack;
    const services = [auth, media, ...gateways];
    groups = await loadGroups(fs, GROUPS, PER_GROUP);
    const all = groups.flatMap((g) => g.clients);
    const lone = await register(fs.url, 'lone');
    const loneChannel = await privateChannel(fs.url, lone, []);
    probe = new ChatClient({ url: fs.url, token: lone.token, userId: lone.id, name: 'lone' });
    await probe.connect();
    const loneSocket = probe.socket;

    const loop = startLoopMonitor();
    for (const g of groups) for (const c of g.clients) c.startLoad(g.channelId, INTERVAL_MS);
    await sleep(4000);
    expect(await Promise.all(services.map((s) => readyz(s.url)))).toEqual(services.map(() => 200));

    const downAt = Date.now();
    await fs.proxy!.close();
    const notReadyAfterMs = await waitFor(
      async () => (await Promise.all(services.map((s) => readyz(s.url)))).every((s) => s === 503),
      OUTAGE_MS,
      'every service reports not ready',
      250,
    );

    // What the other entry points answer meanwhile (all through the front door).
    const loneSend = async () => {
      const started = Date.now();
      const ack = await loneSocket.timeout(30_000).emitWithAck('message:send', {
        channelId: loneChannel,
        body: 'during the outage',
        clientId: `lone-${started}`,
      });
      return { ms: Date.now() - started, ack };
    };
    const socketSend = await loneSend();
    const restSend = await request(fs.url, 'POST', `/channels/${loneChannel}/messages`, {
      token: lone.token,
      body: { body: 'rest during the outage', clientId: 'lone-rest' },
    });
    const login = await request(fs.url, 'POST', '/auth/login', {
      body: { username: lone.username, password: 'password-123' },
    });
    const form = new FormData();
    form.append('channelId', loneChannel);
    form.append(
      'file',
      new Blob([Buffer.from('hello during the outage\n')], { type: 'text/plain' }),
      'a.txt',
    );
    const upload = await fetch(`${fs.url}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lone.token}` },
      body: form,
    });
    const uploadBody = (await upload.json()) as { code?: string };

    const statusesDuring: number[] = [];
    while (Date.now() - downAt < OUTAGE_MS) {
      statusesDuring.push(...(await Promise.all(services.map((s) => readyz(s.url)))));
      await sleep(500);
    }
    await fs.proxy!.open();
    const upAt = Date.now();
    const readyAgainAfterMs = await waitFor(
      async () => (await Promise.all(services.map((s) => readyz(s.url)))).every((s) => s === 200),
      30_000,
      'every service ready again',
      250,
    );
    const socketSendAfter = await loneSend();
    await sleep(4000);
    for (const c of all) c.stopLoad();
    const loopDelay = loop.stop();

    await Promise.all(all.map((c) => c.drainOutbox(90_000)));
    await Promise.all(all.map((c) => c.syncAll()));
    const report = await deliveryReport(fs, groups);

    const attempts = all.flatMap((c) => c.attempts);
    const during = attempts.filter((a) => a.sentAt >= downAt + 250 && a.sentAt < upAt);
    const refusedDuring = during.filter((a) => a.outcome === 'refused');
    const ackedDuring = during.filter((a) => a.outcome === 'acked');
    // Each message refused during the outage, retried after it: stored exactly once.
    const refusedIds = [...new Set(refusedDuring.map((a) => a.clientId))];
    const { rows } = await fs.db.query<{ client_id: string; n: number }>(
      `SELECT client_id, count(*)::int AS n FROM messages WHERE client_id = ANY($1) GROUP BY client_id`,
      [refusedIds],
    );
    const storedOnce = rows.filter((r) => r.n === 1).length;
    const { rows: leftovers } = await fs.db.query(
      `SELECT count(*)::int AS n FROM files WHERE channel_id = $1`,
      [loneChannel],
    );

    writeFigures('postgres-outage', {
      setup: {
        gateways: 3,
        clients: all.length,
        rate: RATE,
        outageMs: OUTAGE_MS,
        how: 'TCP proxy cut (refuse + reset)',
      },
      testProcessLoopDelayMs: loopDelay,
      notReadyAfterMs,
      readyzDuringOutage: [...new Set(statusesDuring)],
      readyAgainAfterMs,
      sendsDuringOutage: {
        sent: during.length,
        acked: ackedDuring.length,
        ackedAnsweredBeforeRecovery: ackedDuring.filter((a) => a.answeredAt < upAt).length,
        refused: refusedDuring.length,
        refusedCodes: [...new Set(refusedDuring.map((a) => a.code))],
        unanswered: during.filter((a) => a.outcome === 'unanswered').length,
        refusalLatencyMs: summarize(refusedDuring.map((a) => a.answeredAt - a.sentAt)),
      },
      loneSocketSendDuring: { ms: socketSend.ms, ack: socketSend.ack },
      loneSocketSendAfter: { ms: socketSendAfter.ms, ok: socketSendAfter.ack?.ok },
      restSendDuring: { status: restSend.status, code: restSend.body?.code },
      loginDuring: { status: login.status, code: login.body?.code },
      uploadDuring: { status: upload.status, code: uploadBody?.code },
      refusedThenStoredOnce: `${storedOnce}/${refusedIds.length}`,
      delivery: report,
    });

    for (const p of services)
      expect({ name: p.name, exit: p.child.exitCode }).toEqual({ name: p.name, exit: null });
    expect([...new Set(statusesDuring)]).toEqual([503]);
    expect(socketSend.ack).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: expect.any(String) },
    });
    expect({ status: restSend.status, code: restSend.body?.code }).toEqual({
      status: 503,
      code: 'UNAVAILABLE',
    });
    expect({ status: login.status, code: login.body?.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect({ status: upload.status, code: uploadBody?.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect(leftovers[0].n).toBe(0);
    expect(socketSendAfter.ack?.ok).toBe(true);
    expect(refusedDuring.length).toBeGreaterThan(0);
    expect([...new Set(refusedDuring.map((a) => a.code))]).toEqual(['UNAVAILABLE']);
    expect(storedOnce).toBe(refusedIds.length);
    // Never a false ack: every acknowledgement, during the outage included, names a stored row.
    expectNothingLost(report);
  });
});
