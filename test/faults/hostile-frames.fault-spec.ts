import { RawSocket } from '../security/support/raw-socket';
import { ChatClient } from './support/chat-client';
import { ENGINE_FRAMES, EVENT_FRAMES, type HostileContext } from './support/hostile-frames';
import { startInspectedGateway, type InspectedService, type Memory } from './support/inspected';
import { distDir, sleep, summarize, writeFigures } from './support/servers';
import { privateChannel, register, startFaultStack, type FaultStack, type User } from './support/stack';

interface FloodStats {
  frames: number;
  connections: number;
  handshakesRefused: number;
  closedByServer: number;
  acksExpected: number;
  acksReceived: number;
  /** Acks never received although the connection stayed open: a command the server swallowed. */
  acksMissingOnOpenConnection: number;
  ackCodes: Record<string, number>;
  seconds: number;
  byKind: Record<string, { sent: number; closedConnection: number; answers?: Record<string, number> }>;
}

/**
 * 10,000 hostile frames from many raw WebSockets (garbage, broken framing, protocol violations,
 * hostile payloads, floods) at one gateway, while a well-behaved user keeps chatting through it.
 * The gateway must not crash, must answer every well-framed command (never INTERNAL), must keep
 * the honest user's latency in the same league, and must give the memory back afterwards.
 */
describe('fault: 10,000 malformed frames and payloads', () => {
  const FRAMES = 10_000;
  const WORKERS = 40;
  const ATTACKERS = 12;
  let fs: FaultStack;
  let gw: InspectedService;
  let honest: ChatClient;
  let peer: ChatClient;
  const attackers: { user: User; ctx: HostileContext }[] = [];
  let honestChannel: string;

  beforeAll(async () => {
    fs = await startFaultStack({ gateways: 1 });
    gw = await startInspectedGateway(distDir(), fs.stack.env);
    const [alice, bob] = [await register(fs.url, 'alice'), await register(fs.url, 'bob')];
    honestChannel = await privateChannel(fs.url, alice, [bob]);
    honest = new ChatClient({ url: gw.url, token: alice.token, userId: alice.id, name: 'honest' });
    peer = new ChatClient({ url: fs.stack.gateways[0].url, token: bob.token, userId: bob.id, name: 'peer' });
    honest.track(honestChannel);
    peer.track(honestChannel);
    await honest.connect();
    await peer.connect();
    for (let i = 0; i < ATTACKERS; i++) {
      const user = await register(fs.url, 'evil');
      const ownChannel = await privateChannel(fs.url, user, []);
      attackers.push({ user, ctx: { ownChannel, foreignChannel: honestChannel } });
    }
  }, 180_000);

  afterAll(async () => {
    honest?.close();
    peer?.close();
    await gw?.stop();
    await fs?.stop();
  });

  /** One connection after another, each sending a batch of hostile frames, until `total` are sent. */
  async function flood(total: number, deadlineMs: number): Promise<FloodStats> {
    const stats: FloodStats = {
      frames: 0,
      connections: 0,
      handshakesRefused: 0,
      closedByServer: 0,
      acksExpected: 0,
      acksReceived: 0,
      acksMissingOnOpenConnection: 0,
      ackCodes: {},
      seconds: 0,
      byKind: {},
    };
    const started = Date.now();
    let ackSeq = 1;
    const worker = async (w: number) => {
      while (stats.frames < total && Date.now() - started < deadlineMs) {
        const attacker = attackers[(w + stats.connections) % attackers.length];
        const authenticated = Math.random() < 0.75;
        let socket: RawSocket;
        try {
          stats.connections++;
          socket = await RawSocket.open(gw.url);
          if (authenticated && !(await socket.connect({ token: attacker.user.token })).ok)
            stats.handshakesRefused++;
        } catch {
          stats.handshakesRefused++;
          continue;
        }
        const expected: number[] = [];
        const kindOf = new Map<number, string>();
        if (authenticated && Math.random() < 0.01) {
          // A burst: 300 commands back to back, more than a connection may have waiting (256).
          const kind = (stats.byKind['burst-of-300'] ??= { sent: 0, closedConnection: 0 });
          for (let i = 0; i < 300 && stats.frames < total; i++) {
            const id = ackSeq++;
            socket.sendRaw(
              `42${id}${JSON.stringify(['channel:sync', { channelId: attacker.ctx.ownChannel, afterSeq: 0 }])}`,
            );
            expected.push(id);
            kindOf.set(id, 'burst-of-300');
            stats.frames++;
            kind.sent++;
          }
        }
        const batch = authenticated ? 30 : 4;
        for (let i = 0; i < batch && stats.frames < total && !socket.closed; i++) {
          const useEvent = authenticated && Math.random() < 0.93;
          const frame = useEvent
            ? EVENT_FRAMES[Math.floor(Math.random() * EVENT_FRAMES.length)](attacker.ctx, ackSeq++)
            : ENGINE_FRAMES[Math.floor(Math.random() * ENGINE_FRAMES.length)](attacker.ctx);
          if (!socket.sendRaw(frame.data)) break;
          for (const extra of frame.then ?? []) socket.sendRaw(extra);
          stats.frames++;
          const kind = (stats.byKind[frame.kind] ??= { sent: 0, closedConnection: 0 });
          kind.sent++;
          if (frame.ackId !== undefined) {
            expected.push(frame.ackId);
            kindOf.set(frame.ackId, frame.kind);
          }
          await sleep(40);
          if (socket.closed) kind.closedConnection++;
        }
        // Whatever was well-framed gets its answer, unless the server (rightly) hung up.
        const deadline = Date.now() + 10_000;
        while (!socket.closed && expected.some((id) => !socket.acks.has(id)) && Date.now() < deadline)
          await sleep(50);
        stats.acksExpected += expected.length;
        for (const id of expected) {
          if (socket.acks.has(id)) {
            stats.acksReceived++;
            const ack = socket.acks.get(id) as { ok?: boolean; error?: { code?: string } };
            const code = ack?.ok ? 'ok' : (ack?.error?.code ?? 'malformed-ack');
            stats.ackCodes[code] = (stats.ackCodes[code] ?? 0) + 1;
            const answers = (stats.byKind[kindOf.get(id)!].answers ??= {});
            answers[code] = (answers[code] ?? 0) + 1;
          } else if (!socket.closed) {
            stats.acksMissingOnOpenConnection++;
          }
        }
        if (socket.closed) stats.closedByServer++;
        socket.close();
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
    stats.seconds = (Date.now() - started) / 1000;
    return stats;
  }

  it('survives, answers every well-framed command, keeps an honest user’s latency and gives memory back', async () => {
    // The honest user sends one message at a time, all along.
    const latencies: { at: number; ms: number; ok: boolean }[] = [];
    let honestRunning = true;
    let n = 0;
    const honestLoop = (async () => {
      while (honestRunning) {
        const started = Date.now();
        try {
          const ack = await honest.socket.timeout(10_000).emitWithAck('message:send', {
            channelId: honestChannel,
            body: `honest ${++n}`,
            clientId: `honest-${n}`,
          });
          latencies.push({ at: started, ms: Date.now() - started, ok: ack?.ok === true });
        } catch {
          latencies.push({ at: started, ms: 10_000, ok: false });
        }
        await sleep(100);
      }
    })();

    // Warm-up: lazily built caches (validators, JIT) are not a leak; baseline after them.
    await flood(400, 30_000);
    await sleep(3000);
    const baseline: Memory = await gw.memory();
    const baselineProcRss = gw.procRssMb();
    const beforeFrom = Date.now();
    await sleep(4000);

    const floodFrom = Date.now();
    const stats = await flood(FRAMES, 120_000);
    const floodTo = Date.now();
    await sleep(5000);
    const afterTo = Date.now();
    honestRunning = false;
    await honestLoop;

    await sleep(2000);
    const afterFlood = await gw.memory();
    const afterProcRss = gw.procRssMb();
    // A second round: a leak grows with every round; a warm process does not.
    const second = await flood(3000, 60_000);
    await sleep(2000);
    const afterSecond = await gw.memory();

    const phase = (from: number, to: number) => latencies.filter((l) => l.at >= from && l.at < to);
    const before = phase(beforeFrom, floodFrom);
    const during = phase(floodFrom, floodTo);
    const after = phase(floodTo + 1000, afterTo);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const internalOutcomes = metrics
      .split('\n')
      .filter((l) => l.startsWith('gateway_commands_total') && l.includes('outcome="INTERNAL"'))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    const health = await fetch(`${gw.url}/healthz`);
    // The honest messages all reached the peer on the other replica.
    await honest.syncAll();
    await peer.syncAll();
    const honestAcked = latencies.filter((l) => l.ok).length;
    const peerSaw = peer.timeline(honestChannel).length;

    const p50 = (xs: { ms: number }[]) => summarize(xs.map((x) => x.ms)).p50;
    writeFigures('hostile-frames', {
      flood: { ...stats, byKind: undefined },
      byKind: stats.byKind,
      secondRound: { frames: second.frames, connections: second.connections, ackCodes: second.ackCodes },
      honestAckLatencyMs: {
        before: summarize(before.map((l) => l.ms)),
        during: summarize(during.map((l) => l.ms)),
        after: summarize(after.map((l) => l.ms)),
      },
      honestFailures: latencies.filter((l) => !l.ok).length,
      memoryAfterFullGc: { baseline, afterFlood, afterSecond },
      procRssMb: { baseline: baselineProcRss, afterFlood: afterProcRss },
      internalOutcomesOnMetrics: internalOutcomes,
    });

    expect(gw.child.exitCode).toBeNull();
    expect(health.status).toBe(200);
    expect(stats.frames).toBeGreaterThanOrEqual(FRAMES);
    expect(stats.acksMissingOnOpenConnection).toBe(0);
    expect(stats.ackCodes['malformed-ack'] ?? 0).toBe(0);
    // The honest user: every message acknowledged and delivered to the other replica, and latency
    // within a generous multiple of its own baseline (the flood shares 2 cores with everything).
    expect(latencies.every((l) => l.ok)).toBe(true);
    expect(peerSaw).toBe(honestAcked);
    expect(p50(during)).toBeLessThanOrEqual(Math.max(20 * p50(before), p50(before) + 1000));
    expect(p50(after)).toBeLessThanOrEqual(Math.max(5 * p50(before), p50(before) + 200));
    // Memory after a full GC: back near the baseline, and not growing round after round.
    expect(afterFlood.heapUsedMb - baseline.heapUsedMb).toBeLessThan(30);
    expect(afterSecond.heapUsedMb - afterFlood.heapUsedMb).toBeLessThan(10);
    expect(afterProcRss - baselineProcRss).toBeLessThan(200);
    // Client garbage is the client's error (VALIDATION), never an INTERNAL one: an INTERNAL is
    // logged as a server fault, so a flood of them buries real incidents.
    const internal = Object.entries(stats.byKind)
      .filter(([, k]) => k.answers?.INTERNAL)
      .map(([kind]) => kind);
    expect(internal).toEqual([]);
    expect(internalOutcomes).toBe(0);
  });
});
