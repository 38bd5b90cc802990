import { ChatClient } from './support/chat-client';
import { spawnGateway } from './support/inspected';
import { distDir, sleep, startLoopMonitor, summarize, waitFor, writeFigures } from './support/servers';
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
 * SIGTERM of one of three gateways under 200 messages/s (a rolling deploy): the replica stops
 * taking handshakes and commands, finishes the ones in flight, then closes its connections, all
 * within SHUTDOWN_GRACE_MS; its clients move to the other replicas without anyone seeing them go
 * offline, and nothing acknowledged is lost.
 */
describe('fault: a gateway is stopped gracefully (SIGTERM) under load', () => {
  const GRACE_MS = 10_000; // the default, stated so the assertion below reads on its own
  // 8 channels of 3: 200 sends/s fan out to 600 deliveries/s, which the test process (clients and
  // front door) can take on a loaded 2-core machine.
  const GROUPS = 8;
  const PER_GROUP = 3;
  const RATE = 200;
  const INTERVAL_MS = Math.round((1000 * GROUPS * PER_GROUP) / RATE);
  let fs: FaultStack;
  let groups: LoadGroup[] = [];
  let watcher: ChatClient | undefined;
  const backlogClients: ChatClient[] = [];

  beforeAll(async () => {
    fs = await startFaultStack({ gateways: 3, env: { SHUTDOWN_GRACE_MS: String(GRACE_MS) } });
  }, 120_000);

  afterAll(async () => {
    for (const c of groups.flatMap((g) => g.clients)) c.close();
    watcher?.close();
    for (const c of backlogClients) c.close();
    await fs?.stop();
  });

  it('answers or refuses every command in flight, persists every acknowledged one, and drains within the grace period', async () => {
    const [survivor, draining] = fs.stack.gateways;
    groups = await loadGroups(fs, GROUPS, PER_GROUP);
    const all = groups.flatMap((g) => g.clients);

    // Someone who shares a channel with every load user, connected to a replica that stays.
    const watcherUser = await register(fs.url, 'watch');
    await privateChannel(
      fs.url,
      watcherUser,
      all.map((c) => ({ id: c.userId })),
    );
    watcher = new ChatClient({
      url: survivor.url,
      token: watcherUser.token,
      userId: watcherUser.id,
      name: 'watcher',
    });
    await watcher.connect();
    await watcher.follow(all.map((c) => c.userId));

    const loop = startLoopMonitor();
    for (const g of groups) for (const c of g.clients) c.startLoad(g.channelId, INTERVAL_MS);
    await sleep(5000);

    const termAt = Date.now();
    draining.kill('SIGTERM');
    // Readiness flips first, so a load balancer stops sending new connections.
    const notReadyAfterMs = await waitFor(
      async () => (await readyz(draining.url)) !== 200,
      5000,
      'draining /readyz',
    );
    const exitCode = await draining.exited;
    const exitedAfterMs = Date.now() - termAt;
    const moved = all.filter((c) => c.disconnectedAt.some((d) => d.at >= termAt));
    const lastDisconnectMs = Math.max(
      0,
      ...moved.map((c) => c.disconnectedAt.find((d) => d.at >= termAt)!.at - termAt),
    );

    await waitFor(() => all.every((c) => c.connected), 30_000, 'all clients reconnected');
    const remaining = termAt + 10_000 - Date.now();
    if (remaining > 0) await sleep(remaining);
    for (const c of all) c.stopLoad();
    const loadEndedAt = Date.now();
    const testProcessLoopDelayMs = loop.stop();

    // Attempts answered by the draining replica, or left unanswered by it.
    const onDraining = moved.flatMap((c) =>
      c.attempts.filter(
        (a) => a.sentAt < c.disconnectedAt.find((d) => d.at >= termAt)!.at && a.answeredAt >= termAt,
      ),
    );
    const refusedCodes = [...new Set(onDraining.filter((a) => a.outcome === 'refused').map((a) => a.code))];
    const closedAt = new Map(moved.map((c) => [c.name, c.disconnectedAt.find((d) => d.at >= termAt)!.at]));
    const unansweredIds = moved.flatMap((c) =>
      c.attempts
        .filter(
          (a) => a.outcome === 'unanswered' && a.sentAt < closedAt.get(c.name)! && a.answeredAt >= termAt,
        )
        .map((a) => ({ clientId: a.clientId, closedAt: closedAt.get(c.name)!, sentAt: a.sentAt })),
    );

    await Promise.all(all.map((c) => c.drainOutbox(90_000)));
    await Promise.all(all.map((c) => c.syncAll()));
    const report = await deliveryReport(fs, groups);
    // An unanswered command the draining replica had in fact stored (before it closed the socket)
    // means an acknowledgement was lost in the drain; one it never stored was still on the wire.
    const { rows: stored } = await fs.db.query<{ client_id: string; created_ms: string }>(
      `SELECT client_id, (extract(epoch from created_at) * 1000)::bigint AS created_ms FROM messages WHERE client_id = ANY($1)`,
      [unansweredIds.map((u) => u.clientId)],
    );
    const storedAt = new Map(stored.map((r) => [r.client_id, Number(r.created_ms)]));
    const ackLostInDrain = unansweredIds.filter((u) => (storedAt.get(u.clientId) ?? Infinity) <= u.closedAt);
    // Nobody who moved was ever reported offline: the drained sockets' leases outlive the move.
    const movedIds = new Set(moved.map((c) => c.userId));
    const flickers = watcher.presence.filter((p) => movedIds.has(p.userId) && !p.online);

    const loadSeconds = (loadEndedAt - (termAt - 5000)) / 1000;
    writeFigures('gateway-drain', {
      setup: { gateways: 3, clients: all.length, targetRate: RATE, loadSeconds, shutdownGraceMs: GRACE_MS },
      testProcessLoopDelayMs,
      achievedAckRate: Math.round(report.acks / loadSeconds),
      movedClients: moved.length,
      notReadyAfterMs,
      lastSocketClosedAfterMs: lastDisconnectMs,
      processExitedAfterMs: exitedAfterMs,
      exitCode,
      commandsOnDrainingReplica: {
        acked: onDraining.filter((a) => a.outcome === 'acked').length,
        refused: onDraining.filter((a) => a.outcome === 'refused').length,
        refusedCodes,
        unanswered: onDraining.filter((a) => a.outcome === 'unanswered').length,
        unansweredButStoredByDrainingReplica: ackLostInDrain.length,
        unansweredSentWithinMsOfClose: summarize(unansweredIds.map((u) => u.closedAt - u.sentAt)),
      },
      reconnectMs: summarize(moved.flatMap((c) => c.reconnectMs)),
      presenceFlickers: flickers.length,
      delivery: report,
    });

    // Nest re-raises SIGTERM once its shutdown hooks are done: a clean exit shows as that signal.
    expect(exitCode === 0 || draining.child.signalCode === 'SIGTERM').toBe(true);
    expect(moved.length).toBeGreaterThan(0);
    // Drained within the grace period: every socket closed before it ran out (a generous bound
    // is given to the process exit itself, which also closes pools after the drain).
    expect(lastDisconnectMs).toBeLessThanOrEqual(GRACE_MS);
    expect(exitedAfterMs).toBeLessThanOrEqual(GRACE_MS + 15_000);
    // Refusals while draining say "retry elsewhere", never something the client would give up on.
    expect(refusedCodes.filter((c) => c !== 'UNAVAILABLE')).toEqual([]);
    expect(flickers).toEqual([]);
    expectNothingLost(report);
  });

  it('drains within the grace period even with every connection’s command queue full, acknowledging nothing it did not store', async () => {
    // One more replica with a short grace period, and ten users who each queue 250 sends on it at
    // once (the server queues up to 256 per connection): more work than fits in the grace period.
    const GRACE = 2000;
    const PER_SOCKET = 250;
    const gw = await spawnGateway(distDir(), { ...fs.stack.env, SHUTDOWN_GRACE_MS: String(GRACE) });
    // Set-up straight to a live gateway, so nothing depends on how soon the front door notices
    // the replica the first test stopped.
    const live = fs.stack.gateways.find((g) => g.child.exitCode === null && g.child.signalCode === null)!;
    const users = [];
    for (let i = 0; i < 10; i++) users.push(await register(fs.stack.auth.url, 'queue'));
    const channels = await Promise.all(users.map((u) => privateChannel(live.url, u, [])));
    for (const [i, u] of users.entries()) {
      const c = new ChatClient({
        url: gw.url,
        token: u.token,
        userId: u.id,
        name: `q${i}`,
        reconnection: false,
      });
      backlogClients.push(c);
      await c.connect();
    }
    const answers: { clientId: string; outcome: 'ok' | 'refused' | 'unanswered'; code?: string }[] = [];
    const pending: Promise<void>[] = [];
    for (const [i, c] of backlogClients.entries()) {
      for (let n = 0; n < PER_SOCKET; n++) {
        const clientId = `q${i}-${n}`;
        pending.push(
          c.socket
            .timeout(30_000)
            .emitWithAck('message:send', { channelId: channels[i], body: clientId, clientId })
            .then(
              (ack: any) =>
                void answers.push({ clientId, outcome: ack?.ok ? 'ok' : 'refused', code: ack?.error?.code }),
              () => void answers.push({ clientId, outcome: 'unanswered' }),
            ),
        );
      }
    }
    await waitFor(() => answers.length > 0, 10_000, 'first acknowledgement');
    const termAt = Date.now();
    gw.child.kill('SIGTERM');
    await gw.exited;
    const exitedAfterMs = Date.now() - termAt;
    await Promise.all(pending);
    const closedAfterMs = Math.max(
      ...backlogClients.map((c) => (c.disconnectedAt.find((d) => d.at >= termAt)?.at ?? Infinity) - termAt),
    );
    const { rows } = await fs.db.query<{ client_id: string }>(
      `SELECT client_id FROM messages WHERE channel_id = ANY($1::uuid[])`,
      [channels],
    );
    const stored = new Set(rows.map((r) => r.client_id));
    const okIds = new Set(answers.filter((a) => a.outcome === 'ok').map((a) => a.clientId));
    const storedButUnacknowledged = [...stored].filter((id) => !okIds.has(id));
    const falseAcks = [...okIds].filter((id) => !stored.has(id));
    writeFigures('gateway-drain-backlog', {
      setup: { sockets: backlogClients.length, queuedPerSocket: PER_SOCKET, shutdownGraceMs: GRACE },
      socketsClosedAfterMs: closedAfterMs,
      processExitedAfterMs: exitedAfterMs,
      answers: {
        ok: okIds.size,
        refused: answers.filter((a) => a.outcome === 'refused').length,
        refusedCodes: [...new Set(answers.filter((a) => a.outcome === 'refused').map((a) => a.code))],
        unanswered: answers.filter((a) => a.outcome === 'unanswered').length,
      },
      stored: stored.size,
      storedButUnacknowledged: storedButUnacknowledged.length,
      falseAcks: falseAcks.length,
    });

    expect(answers).toHaveLength(backlogClients.length * PER_SOCKET);
    expect(falseAcks).toEqual([]);
    // Refusals say "go elsewhere"; commands neither acknowledged nor refused were cut off by the
    // close, and the clients retry them (same clientId) on another replica.
    expect(answers.filter((a) => a.outcome === 'refused' && a.code !== 'UNAVAILABLE')).toEqual([]);
    // (Stored but unacknowledged is allowed: delivery is at-least-once, and the retry with the same
    // clientId returns the stored message. It is reported, not asserted.)
    // The drain itself must end inside the grace period, backlog or not. (Fails today: commands
    // already queued keep running after SIGTERM, so the replica waits out the whole grace period
    // and then cuts the queue off; see docs/reliability.md, "Graceful drain".)
    expect(closedAfterMs).toBeLessThan(GRACE);
  });
});
