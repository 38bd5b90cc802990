/**
 * A load-generator process (forked by bench/run.ts; never the orchestrator's event loop): real
 * socket.io-client connections, WebSocket transport only, driven over IPC.
 *
 * Latency is end to end and corrected for coordinated omission: every message carries the time
 * it was *meant* to be sent on a constant-rate schedule (`B|<tag>|<intended ms>|…`), and a
 * receiver records `now - intended`. A generator that falls behind sends late but is still
 * charged from the intended time. Times are `performance.timeOrigin + performance.now()`, which
 * agree across processes on one machine to well under a millisecond.
 */
import { Agent, get } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { fastDecoderParser } from './lib/fast-decoder';
import { Histogram, type HistogramData } from './lib/histogram';

const now = (): number => performance.timeOrigin + performance.now();

export interface ClientSpec {
  url: string;
  auth: Record<string, unknown>;
  /** Users whose presence this client follows once connected, as a member list on screen would. */
  follow?: string[];
}

export interface ScheduledSender {
  /** Index into this generator's sockets. */
  socket: number;
  channelId: string;
  /** Position in the global round (0 ≤ slot < slots): sender of message k·slots+slot. */
  slot: number;
}

export type Request =
  | { cmd: 'connect'; specs: ClientSpec[]; concurrency: number; timeoutMs: number }
  | { cmd: 'disconnect' }
  | {
      cmd: 'schedule';
      tag: string;
      senders: ScheduledSender[];
      slots: number;
      /** Messages per second over all slots of all generators. */
      rate: number;
      startAt: number;
      warmMs: number;
      durationMs: number;
      ackTimeoutMs: number;
      bodyBytes: number;
    }
  | {
      cmd: 'closedLoop';
      tag: string;
      senders: { socket: number; channelId: string }[];
      window: number;
      startAt: number;
      durationMs: number;
      ackTimeoutMs: number;
      bodyBytes: number;
    }
  | { cmd: 'stats'; tags: string[] }
  | { cmd: 'resetLoop' }
  | {
      cmd: 'http';
      requests: { url: string; token: string }[];
      concurrency: number;
      maxMs: number;
    }
  | { cmd: 'exit' };

export interface SendResult {
  attempted: number;
  acked: number;
  errors: Record<string, number>;
  ack: HistogramData;
  /** Sends that left more than 5 ms after their intended time (the generator fell behind). */
  late: number;
  maxLagMs: number;
  /** From the first send to the last acknowledgement. */
  elapsedMs?: number;
  /** Open loop only: the warm-up's sends (they count for the delivery ratio, not for latency). */
  warm?: SendResult;
}

export interface TagStats {
  count: number;
  latency: HistogramData;
}

export interface StatsResult {
  tags: Record<string, TagStats>;
  presence: number;
  disconnects: number;
  loop: { p99: number; max: number; utilization: number };
}

const sockets: Socket[] = [];
const received = new Map<string, { count: number; hist: Histogram }>();
let presenceEvents = 0;
let disconnects = 0;
let clientSeq = 0;
const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let loopMark = performance.eventLoopUtilization();

const FILLER =
  'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et ' +
  'dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ut aliquip ';

function body(tag: string, intended: number, bytes: number): string {
  const head = `B|${tag}|${intended.toFixed(3)}|`;
  let pad = '';
  while (head.length + pad.length < bytes) pad += FILLER;
  return head + pad.slice(0, Math.max(0, bytes - head.length));
}

function onMessage(m: { body?: unknown }): void {
  onBody(m?.body);
}

/** The wire parser: message:new frames with a benchmark body skip JSON.parse (lib/fast-decoder.ts). */
const PARSER = fastDecoderParser(onBody);

function onBody(b: unknown): void {
  if (typeof b !== 'string' || !b.startsWith('B|')) return;
  const i1 = b.indexOf('|', 2);
  const i2 = b.indexOf('|', i1 + 1);
  const tag = b.slice(2, i1);
  let s = received.get(tag);
  if (!s) received.set(tag, (s = { count: 0, hist: new Histogram() }));
  s.count++;
  s.hist.record(now() - Number(b.slice(i1 + 1, i2)));
}

/** What engine.io says went wrong below socket.io (an HTTP status, a socket error). */
function describe(x: unknown): string | null {
  if (!x) return null;
  if (x instanceof Error) return x.message;
  if (typeof x === 'object') {
    const o = x as { statusCode?: number; message?: string; error?: { message?: string } };
    return (
      o.message ??
      o.error?.message ??
      (o.statusCode ? `HTTP ${o.statusCode}` : JSON.stringify(x).slice(0, 120))
    );
  }
  return typeof x === 'string' || typeof x === 'number' ? String(x) : null;
}

async function connect(specs: ClientSpec[], concurrency: number, timeoutMs: number) {
  const started = performance.now();
  const base = sockets.length;
  const errors: Record<string, number> = {};
  let connected = 0;
  let next = 0;
  const one = (spec: ClientSpec): Promise<Socket | null> =>
    new Promise((resolve) => {
      const socket = io(spec.url, {
        transports: ['websocket'],
        parser: PARSER,
        reconnection: false,
        forceNew: true,
        timeout: timeoutMs,
        auth: spec.auth,
      });
      socket.on('message:new', onMessage);
      socket.on('presence', () => void presenceEvents++);
      socket.once('connect', () => {
        if (!spec.follow?.length) return resolve(socket);
        socket.emit('presence:subscribe', { userIds: spec.follow }, () => resolve(socket));
      });
      socket.once('connect_error', (err: Error & { description?: unknown; context?: unknown }) => {
        const detail = describe(err.description) ?? describe(err.context);
        const key = detail ? `${err.message}: ${detail}` : err.message;
        errors[key] = (errors[key] ?? 0) + 1;
        socket.close();
        resolve(null);
      });
    });
  const slots: (Socket | null)[] = new Array<Socket | null>(specs.length).fill(null);
  const worker = async () => {
    while (next < specs.length) {
      const i = next++;
      slots[i] = await one(specs[i]);
      if (slots[i]) connected++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker));
  for (const s of slots) {
    // Keep indexes stable: a failed client is a closed placeholder.
    const socket = s ?? io('http://127.0.0.1:1', { autoConnect: false });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') disconnects++;
    });
    sockets.push(socket);
  }
  return { base, connected, failed: specs.length - connected, errors, ms: performance.now() - started };
}

function disconnect(): { closed: number } {
  const n = sockets.length;
  for (const s of sockets.splice(0)) s.close();
  received.clear();
  presenceEvents = 0;
  disconnects = 0;
  return { closed: n };
}

/** Ack bookkeeping shared by the open- and closed-loop senders. */
class AckTracker {
  attempted = 0;
  acked = 0;
  errors: Record<string, number> = {};
  hist = new Histogram();
  outstanding = 0;
  late = 0;
  maxLagMs = 0;
  lastAckAt = 0;
  private drained: (() => void) | null = null;

  send(socket: Socket, channelId: string, text: string, from: number, then?: () => void): void {
    this.attempted++;
    this.outstanding++;
    const clientId = `${runId}-${++clientSeq}`;
    let settled = false;
    const settle = (code: string | null) => {
      if (settled) return;
      settled = true;
      this.outstanding--;
      this.lastAckAt = now();
      if (code === null) {
        this.acked++;
        this.hist.record(now() - from);
      } else this.errors[code] = (this.errors[code] ?? 0) + 1;
      then?.();
      if (this.outstanding === 0 && this.drained) this.drained();
    };
    if (!socket?.connected) return settle('NOT_CONNECTED');
    socket
      .timeout(60_000)
      .emit(
        'message:send',
        { channelId, body: text, clientId },
        (err: Error | null, ack?: { ok?: boolean; error?: { code?: string } }) => {
          if (err) return settle('ACK_TIMEOUT');
          settle(ack?.ok ? null : String(ack?.error?.code ?? 'UNKNOWN'));
        },
      );
  }

  async drain(timeoutMs: number): Promise<void> {
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.drained = null;
  }

  result(): SendResult {
    return {
      attempted: this.attempted,
      acked: this.acked,
      errors: { ...this.errors, ...(this.outstanding ? { PENDING: this.outstanding } : {}) },
      ack: this.hist.toJSON(),
      late: this.late,
      maxLagMs: this.maxLagMs,
    };
  }
}

/** Open loop: a constant-rate schedule, whatever the acks do. Warm-up messages are tagged `<tag>w`. */
async function schedule(r: Extract<Request, { cmd: 'schedule' }>): Promise<SendResult> {
  const mine = [...r.senders].sort((a, b) => a.slot - b.slot);
  const interval = 1000 / r.rate;
  const end = r.startAt + r.warmMs + r.durationMs;
  const measured = new AckTracker();
  const warm = new AckTracker();
  if (mine.length === 0) return measured.result();
  let k = 0;
  let j = 0;
  const intendedAt = () => r.startAt + (k * r.slots + mine[j].slot) * interval;
  await new Promise<void>((done) => {
    const tick = () => {
      const t = now();
      for (let at = intendedAt(); at <= t && at < end; at = intendedAt()) {
        const s = mine[j];
        const inWarmUp = at < r.startAt + r.warmMs;
        const tracker = inWarmUp ? warm : measured;
        const lag = t - at;
        if (lag > 5) tracker.late++;
        if (lag > tracker.maxLagMs) tracker.maxLagMs = lag;
        tracker.send(
          sockets[s.socket],
          s.channelId,
          body(inWarmUp ? `${r.tag}w` : r.tag, at, r.bodyBytes),
          at,
        );
        if (++j === mine.length) {
          j = 0;
          k++;
        }
      }
      const at = intendedAt();
      if (at >= end) return done();
      setTimeout(tick, Math.max(0, at - now() - 0.5));
    };
    setTimeout(tick, Math.max(0, r.startAt - now()));
  });
  await Promise.all([measured.drain(r.ackTimeoutMs), warm.drain(r.ackTimeoutMs)]);
  return { ...measured.result(), warm: warm.result() };
}

/** Closed loop: each sender keeps `window` sends in flight, the next one leaving on an ack. */
async function closedLoop(r: Extract<Request, { cmd: 'closedLoop' }>): Promise<SendResult> {
  const tracker = new AckTracker();
  const end = r.startAt + r.durationMs;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, r.startAt - now())));
  const fire = (s: { socket: number; channelId: string }) => {
    if (now() >= end || !sockets[s.socket].connected) return;
    const t = now();
    // Next send on a later tick: an ack that arrives synchronously must not recurse.
    tracker.send(sockets[s.socket], s.channelId, body(r.tag, t, r.bodyBytes), t, () => setImmediate(fire, s));
  };
  for (const s of r.senders) for (let w = 0; w < r.window; w++) fire(s);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, end - now())));
  await tracker.drain(r.ackTimeoutMs);
  return { ...tracker.result(), elapsedMs: tracker.lastAckAt - r.startAt };
}

/**
 * One GET over a kept-alive connection, answered with its status once the body is read. Plain
 * node:http rather than fetch: undici's own per-request cost (0.1–0.2 ms at p50, up to 1 ms at p99
 * on this machine) would be counted as the server's.
 */
function getStatus(url: string, token: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function http(r: Extract<Request, { cmd: 'http' }>) {
  const hist = new Histogram();
  const statuses: Record<string, number> = {};
  const deadline = performance.now() + r.maxMs;
  const agent = new Agent({ keepAlive: true, maxSockets: r.concurrency });
  let next = 0;
  const worker = async () => {
    while (next < r.requests.length && performance.now() < deadline) {
      const q = r.requests[next++];
      const t = performance.now();
      let status = 'ERR';
      try {
        status = String(await getStatus(q.url, q.token, agent));
      } catch (err) {
        status = `ERR ${(err as Error).message}`;
      }
      if (status === '200') hist.record(performance.now() - t);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: r.concurrency }, worker));
  agent.destroy();
  return { latency: hist.toJSON(), statuses };
}

function stats(tags: string[]): StatsResult {
  const out: Record<string, TagStats> = {};
  for (const tag of tags) {
    const s = received.get(tag);
    out[tag] = { count: s?.count ?? 0, latency: (s?.hist ?? new Histogram()).toJSON() };
  }
  const mark = performance.eventLoopUtilization();
  return {
    tags: out,
    presence: presenceEvents,
    disconnects,
    loop: {
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
      utilization: performance.eventLoopUtilization(mark, loopMark).utilization,
    },
  };
}

async function handle(req: Request): Promise<unknown> {
  switch (req.cmd) {
    case 'connect':
      return connect(req.specs, req.concurrency, req.timeoutMs);
    case 'disconnect':
      return disconnect();
    case 'schedule':
      return schedule(req);
    case 'closedLoop':
      return closedLoop(req);
    case 'stats':
      return stats(req.tags);
    case 'resetLoop':
      loopDelay.reset();
      loopMark = performance.eventLoopUtilization();
      return {};
    case 'http':
      return http(req);
    case 'exit':
      disconnect();
      setTimeout(() => process.exit(0), 50);
      return {};
  }
}

process.on('message', (msg: { id: number; req: Request }) => {
  handle(msg.req).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: unknown) => process.send?.({ id: msg.id, error: err instanceof Error ? err.stack : String(err) }),
  );
});
// The orchestrator is gone (crash, Ctrl+C): close everything and leave.
process.on('disconnect', () => {
  disconnect();
  process.exit(0);
});
