import Redis from 'ioredis';
import { ChatClient } from './support/chat-client';
import { percentile, sleep, startLoopMonitor, summarize, waitFor, writeFigures } from './support/servers';
import {
  deliveryReport,
  expectNothingLost,
  loadGroups,
  privateChannel,
  register,
  startFaultStack,
  type FaultStack,
  type LoadGroup,
} from './support/stack';

/**
 * kill -9 of one of three gateways while 24 clients send 200 messages/s through the front door.
 * What a user must not notice: an acknowledged message that is not stored, a gap or a duplicate
 * in a channel once caught up, or a crashed replica's users staying "online" forever.
 */
describe('fault: a gateway is killed (SIGKILL) under load', () => {
  // Short presence leases keep the test short; the defaults (30 s lease, 10 s sweep) are reported.
  const LEASE_MS = 6000;
  const SWEEP_MS = 1000;
  // 8 channels of 3: 200 sends/s fan out to 600 deliveries/s, which the test process (clients and
  // front door) can take on a loaded 2-core machine.
  const GROUPS = 8;
  const PER_GROUP = 3;
  const RATE = 200;
  const INTERVAL_MS = Math.round((1000 * GROUPS * PER_GROUP) / RATE);
  let fs: FaultStack;
  let groups: LoadGroup[] = [];
  const others: ChatClient[] = [];

  beforeAll(async () => {
    fs = await startFaultStack({
      gateways: 3,
      env: {
        PRESENCE_LEASE_MS: String(LEASE_MS),
        PRESENCE_SWEEP_MS: String(SWEEP_MS),
        FANOUT_GAP_REPAIR_MS: '500',
      },
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of [...groups.flatMap((g) => g.clients), ...others]) c.close();
    await fs?.stop();
  });

  it('loses no acknowledged message, recovers every client gap-free, and clears the lost sockets’ presence', async () => {
    const [, victim] = fs.stack.gateways;
    groups = await loadGroups(fs, GROUPS, PER_GROUP);
    const all = groups.flatMap((g) => g.clients);

    // Users whose only socket is on the victim and who never come back (a closed laptop), watched
    // from another replica: their presence must go offline by lease expiry.
    const watcherUser = await register(fs.url, 'watch');
    const gone = [
      await register(fs.url, 'gone'),
      await register(fs.url, 'gone'),
      await register(fs.url, 'gone'),
    ];
    await privateChannel(fs.url, watcherUser, gone);
    const watcher = new ChatClient({
      url: fs.stack.gateways[0].url,
      token: watcherUser.token,
      userId: watcherUser.id,
      name: 'watcher',
    });
    others.push(watcher);
    await watcher.connect();
    await watcher.follow(gone.map((u) => u.id));
    const bystanders = gone.map(
      (u, i) =>
        new ChatClient({
          url: victim.url,
          token: u.token,
          userId: u.id,
          name: `gone${i}`,
          reconnection: false,
        }),
    );
    others.push(...bystanders);
    for (const b of bystanders) await b.connect();
    await waitFor(
      () => gone.every((u) => watcher.presence.some((p) => p.userId === u.id && p.online)),
      10_000,
      'bystanders online',
    );

    const loop = startLoopMonitor();
    for (const g of groups) for (const c of g.clients) c.startLoad(g.channelId, INTERVAL_MS);
    await sleep(5000);

    const socketAtKill = new Map(all.map((c) => [c, c.socket.id]));
    const killedAt = Date.now();
    victim.kill('SIGKILL');
    await victim.exited;
    await sleep(200);
    const dropped = all.filter((c) => c.disconnectedAt.some((d) => d.at >= killedAt - 50));
    const lostLeases = [
      ...bystanders.map((b, i) => `${gone[i].id}|${b.socketIds[0]}`),
      ...dropped.map((c) => `${c.userId}|${socketAtKill.get(c)}`),
    ];

    // Everyone dropped comes back (through the front door, to the surviving replicas).
    await waitFor(() => all.every((c) => c.connected), 30_000, 'all clients reconnected');
    const remaining = killedAt + 10_000 - Date.now();
    if (remaining > 0) await sleep(remaining);
    for (const c of all) c.stopLoad();
    const loadEndedAt = Date.now();
    const testProcessLoopDelayMs = loop.stop();

    // Presence of the sockets that died with the replica: offline on the watcher, leases gone.
    await waitFor(
      () => gone.every((u) => watcher.presence.some((p) => p.userId === u.id && !p.online)),
      60_000,
      'lost sockets reported offline',
    );
    const offlineAfterMs = Math.max(
      ...gone.map((u) => watcher.presence.find((p) => p.userId === u.id && !p.online)!.at - killedAt),
    );
    const redis = new Redis(fs.redis.url);
    const leaseKey = `${fs.prefix}:gateway:{presence}:leases`;
    const leftover = async () =>
      (await Promise.all(lostLeases.map((m) => redis.zscore(leaseKey, m)))).filter((s) => s !== null).length;
    await waitFor(async () => (await leftover()) === 0, 60_000, 'lost leases swept');
    const leasesGoneAfterMs = Date.now() - killedAt;
    const leftovers = await leftover();
    redis.disconnect();

    // Retries with the same clientId until every composed message is acknowledged, then catch up.
    await Promise.all(all.map((c) => c.drainOutbox(90_000)));
    await Promise.all(all.map((c) => c.syncAll()));
    const report = await deliveryReport(fs, groups);

    const reconnects = dropped.flatMap((c) => c.reconnectMs);
    const ackLatency = all.flatMap((c) =>
      c.attempts.filter((a) => a.outcome === 'acked').map((a) => a.answeredAt - a.sentAt),
    );
    const loadSeconds = (loadEndedAt - (killedAt - 5000)) / 1000;
    const figures = {
      setup: { gateways: 3, clients: all.length, targetRate: RATE, intervalMs: INTERVAL_MS, loadSeconds },
      testProcessLoopDelayMs,
      achievedAckRate: Math.round(report.acks / loadSeconds),
      droppedClients: dropped.length,
      reconnectMs: summarize(reconnects),
      ackLatencyMs: summarize(ackLatency),
      unansweredAttempts: all.flatMap((c) => c.attempts).filter((a) => a.outcome === 'unanswered').length,
      refusedAttempts: all.flatMap((c) => c.attempts).filter((a) => a.outcome === 'refused').length,
      presence: {
        leaseMs: LEASE_MS,
        sweepMs: SWEEP_MS,
        lostSocketsOfflineAfterMs: offlineAfterMs,
        defaultsBoundMs: 30_000 + 10_000,
        lostLeases: lostLeases.length,
        lostLeasesGoneWithinMs: leasesGoneAfterMs,
      },
      delivery: report,
    };
    writeFigures('gateway-kill', figures);

    expect(victim.child.signalCode).toBe('SIGKILL');
    for (const g of fs.stack.gateways.filter((g) => g !== victim)) expect(g.child.exitCode).toBeNull();
    // About a third of the clients were on the victim (the front door deals connections in turn).
    expect(dropped.length).toBeGreaterThan(0);
    expect(reconnects.length).toBeGreaterThanOrEqual(dropped.length);
    expect(percentile(reconnects, 99)).toBeLessThanOrEqual(10_000);
    expect(offlineAfterMs).toBeLessThanOrEqual(60_000);
    expect(leftovers).toBe(0);
    expectNothingLost(report);
  });
});
