import { io, type Socket } from 'socket.io-client';
import type { Message } from '@chat/contracts';

/**
 * A chat client that behaves like the bundled web client (apps/web/src/realtime/connection.ts):
 * socket.io with automatic reconnection (500 ms first delay, 8 s cap), an outbox that owns
 * retries (socket.io's own send buffer is dropped on disconnect, and every retry reuses the
 * message's clientId), and catch-up through `channel:sync` after every reconnect and whenever a
 * live push skips a seq. It records everything the fault tests assert on.
 */

/** Same as the web client's. */
export const COMMAND_TIMEOUT_MS = 10_000;

export interface Entry {
  id: string;
  seq: number;
  clientId: string | null;
  authorId: string;
}

export type Outcome = 'acked' | 'refused' | 'unanswered';

export interface Attempt {
  clientId: string;
  sentAt: number;
  answeredAt: number;
  outcome: Outcome;
  code?: string;
  message?: Message;
}

interface Outgoing {
  clientId: string;
  channelId: string;
  body: string;
  createdAt: number;
  acked?: Message;
  inFlight: boolean;
  /** Not before this time (a refused send waits a second before its retry, as a client should). */
  notBefore: number;
}

export interface ClientOptions {
  /** Front door (or one gateway) origin. */
  url: string;
  token: string;
  userId: string;
  name: string;
  /** false: a client that does not come back (closed laptop); default true. */
  reconnection?: boolean;
  commandTimeoutMs?: number;
}

export class ChatClient {
  readonly socket: Socket;
  readonly name: string;
  readonly userId: string;
  /** Per channel: what this client knows, by seq (live pushes and syncs merged). */
  readonly timelines = new Map<string, Map<number, Entry>>();
  /** A live `message:new` for a seq this connection had already received live. */
  liveDuplicates = 0;
  /** A live `message:new` whose seq was not above the previous live one of its channel (same connection). */
  liveOutOfOrder = 0;
  /** A seq seen with two different message ids. */
  conflicts = 0;
  /** Live messages received in total. */
  liveReceived = 0;
  /** Messages that arrived by sync that this client already had (overlap with live; harmless). */
  syncOverlap = 0;
  syncs = 0;
  syncFailures = 0;
  readonly connectedAt: number[] = [];
  /** The server-side id of every connection this client had (socket.io ids are shared with the server). */
  readonly socketIds: string[] = [];
  readonly disconnectedAt: { at: number; reason: string }[] = [];
  /** For every reconnect: time from the disconnect to being connected again (ms). */
  readonly reconnectMs: number[] = [];
  readonly attempts: Attempt[] = [];
  readonly presence: { at: number; userId: string; online: boolean }[] = [];
  readonly outbox = new Map<string, Outgoing>();

  /** The users this client shows (`presence:subscribe`), subscribed again on every connect. */
  private following: string[] = [];
  private lastLive = new Map<string, number>();
  private liveSeen = new Map<string, Set<number>>();
  private syncing = new Map<string, Promise<void>>();
  private resync = new Set<string>();
  private sent = 0;
  private downSince: number | null = null;
  private loadTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly timeoutMs: number;

  constructor(opts: ClientOptions) {
    this.name = opts.name;
    this.userId = opts.userId;
    this.timeoutMs = opts.commandTimeoutMs ?? COMMAND_TIMEOUT_MS;
    this.socket = io(opts.url, {
      path: '/socket.io/',
      transports: ['websocket'],
      auth: { token: opts.token },
      forceNew: true,
      reconnection: opts.reconnection ?? true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 8000,
      randomizationFactor: 0.3,
      timeout: 5000,
      autoConnect: false,
    });
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('disconnect', (reason) => this.onDisconnect(reason));
    this.socket.on('message:new', (m: Message) => this.onLive(m));
    this.socket.on('presence', (p: { userId: string; online: boolean }) =>
      this.presence.push({ at: Date.now(), userId: p.userId, online: p.online }),
    );
  }

  /** Connects and resolves once connected (rejects with the connect_error otherwise). */
  connect(): Promise<this> {
    return new Promise((resolve, reject) => {
      const ok = () => {
        this.socket.off('connect_error', fail);
        resolve(this);
      };
      const fail = (err: Error) => {
        this.socket.off('connect', ok);
        this.socket.close();
        reject(err);
      };
      this.socket.once('connect', ok);
      this.socket.once('connect_error', fail);
      this.socket.connect();
    });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  /** Follows the presence of `userIds` (as a member list on screen does), from now and after reconnects. */
  async follow(userIds: string[]): Promise<void> {
    this.following = userIds;
    const ack = (await this.socket
      .timeout(this.timeoutMs)
      .emitWithAck('presence:subscribe', { userIds })) as { ok: boolean; error?: { code: string } };
    if (!ack.ok) throw new Error(`presence:subscribe refused: ${ack.error?.code}`);
  }

  /** Tracks `channelId` (its messages are recorded and caught up after reconnects). */
  track(channelId: string): void {
    if (!this.timelines.has(channelId)) this.timelines.set(channelId, new Map());
  }

  /** Sends a new message every `intervalMs` into `channelId` until `stopLoad()`. */
  startLoad(channelId: string, intervalMs: number): void {
    this.track(channelId);
    this.loadTimer = setInterval(() => this.compose(channelId), intervalMs);
    this.retryTimer = setInterval(() => this.flush(), 250);
  }

  stopLoad(): void {
    if (this.loadTimer) clearInterval(this.loadTimer);
    this.loadTimer = null;
  }

  /** Messages of the outbox not yet acknowledged. */
  unacked(): Outgoing[] {
    return [...this.outbox.values()].filter((o) => !o.acked);
  }

  /** Keeps retrying the outbox until every message is acknowledged, or `timeoutMs`. */
  async drainOutbox(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.unacked().length > 0) {
      if (Date.now() > deadline) {
        const stuck = this.unacked().map((o) => {
          const tries = this.attempts.filter((a) => a.clientId === o.clientId);
          return `${o.clientId} (in flight: ${o.inFlight}, tries: ${tries.map((t) => t.code ?? t.outcome).join(',')})`;
        });
        throw new Error(
          `${this.name}: unacknowledged after ${timeoutMs} ms (connected: ${this.connected}, ` +
            `disconnects: ${this.disconnectedAt.length}): ${stuck.slice(0, 5).join('; ')}`,
        );
      }
      this.flush();
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Catches up every tracked channel from what this client has, until nothing more is there. */
  async syncAll(): Promise<void> {
    await Promise.all([...this.timelines.keys()].map((c) => this.catchUp(c)));
  }

  /** The channel as this client has it, ascending by seq. */
  timeline(channelId: string): Entry[] {
    return [...(this.timelines.get(channelId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  }

  close(): void {
    this.stopped = true;
    this.stopLoad();
    if (this.retryTimer) clearInterval(this.retryTimer);
    this.socket.removeAllListeners();
    this.socket.close();
  }

  // --- internals ---

  private compose(channelId: string): void {
    const clientId = `${this.name}-${++this.sent}`;
    this.outbox.set(clientId, {
      clientId,
      channelId,
      body: `${clientId} load`,
      createdAt: Date.now(),
      inFlight: false,
      notBefore: 0,
    });
    this.flush();
  }

  /** Sends every unacknowledged message not in flight, when connected. */
  private flush(): void {
    if (!this.socket.connected || this.stopped) return;
    const now = Date.now();
    for (const o of this.outbox.values()) {
      if (o.acked || o.inFlight || o.notBefore > now) continue;
      this.sendOnce(o);
    }
  }

  private sendOnce(o: Outgoing): void {
    o.inFlight = true;
    const sentAt = Date.now();
    const payload = { channelId: o.channelId, body: o.body, clientId: o.clientId };
    this.socket.timeout(this.timeoutMs).emit('message:send', payload, (err: Error | null, ack: any) => {
      o.inFlight = false;
      const answeredAt = Date.now();
      if (err) {
        this.attempts.push({ clientId: o.clientId, sentAt, answeredAt, outcome: 'unanswered' });
      } else if (ack?.ok) {
        o.acked = ack.message;
        this.attempts.push({
          clientId: o.clientId,
          sentAt,
          answeredAt,
          outcome: 'acked',
          message: ack.message,
        });
        this.record(ack.message, 'ack');
      } else {
        o.notBefore = answeredAt + 1000;
        this.attempts.push({
          clientId: o.clientId,
          sentAt,
          answeredAt,
          outcome: 'refused',
          code: ack?.error?.code,
        });
      }
    });
  }

  private onConnect(): void {
    const now = Date.now();
    this.connectedAt.push(now);
    if (this.socket.id) this.socketIds.push(this.socket.id);
    if (this.following.length > 0 && this.downSince !== null)
      this.socket.emit('presence:subscribe', { userIds: this.following }, () => undefined);
    if (this.downSince !== null) {
      this.reconnectMs.push(now - this.downSince);
      this.downSince = null;
      void this.syncAll().catch(() => undefined);
    }
    this.flush();
  }

  private onDisconnect(reason: string): void {
    const now = Date.now();
    this.disconnectedAt.push({ at: now, reason });
    this.downSince ??= now;
    // The outbox owns retries: socket.io must not replay buffered commands on the next connection.
    this.socket.sendBuffer = [];
    this.lastLive.clear();
    this.liveSeen.clear();
  }

  private onLive(m: Message): void {
    const timeline = this.timelines.get(m.channelId);
    if (!timeline) return;
    this.liveReceived++;
    const seen = this.liveSeen.get(m.channelId) ?? new Set<number>();
    this.liveSeen.set(m.channelId, seen);
    if (seen.has(m.seq)) this.liveDuplicates++;
    seen.add(m.seq);
    const last = this.lastLive.get(m.channelId);
    if (last !== undefined && m.seq <= last) this.liveOutOfOrder++;
    this.lastLive.set(m.channelId, m.seq);
    this.record(m, 'live');
    // A live push that skips seqs this client does not have: fetch them from history.
    if (m.seq > 1 && !timeline.has(m.seq - 1)) void this.catchUp(m.channelId).catch(() => undefined);
  }

  private record(m: Message, via: 'live' | 'sync' | 'ack'): void {
    const timeline = this.timelines.get(m.channelId);
    if (!timeline) return;
    const had = timeline.get(m.seq);
    if (had) {
      if (had.id !== m.id) this.conflicts++;
      else if (via === 'sync') this.syncOverlap++;
      return;
    }
    timeline.set(m.seq, { id: m.id, seq: m.seq, clientId: m.clientId, authorId: m.author.id });
  }

  /** Highest seq up to which this client has every message. */
  private floor(channelId: string): number {
    const timeline = this.timelines.get(channelId)!;
    let seq = 0;
    while (timeline.has(seq + 1)) seq++;
    return seq;
  }

  /** One catch-up at a time per channel; a request during one runs once more after it. */
  private catchUp(channelId: string): Promise<void> {
    const running = this.syncing.get(channelId);
    if (running) {
      this.resync.add(channelId);
      return running;
    }
    const run = (async () => {
      try {
        do {
          this.resync.delete(channelId);
          await this.pageFrom(channelId);
        } while (this.resync.has(channelId));
      } finally {
        this.syncing.delete(channelId);
      }
    })();
    this.syncing.set(channelId, run);
    return run;
  }

  private async pageFrom(channelId: string): Promise<void> {
    let after = this.floor(channelId);
    for (let page = 0; page < 10_000; page++) {
      this.syncs++;
      let ack: any;
      try {
        ack = await this.socket
          .timeout(this.timeoutMs)
          .emitWithAck('channel:sync', { channelId, afterSeq: after, limit: 100 });
      } catch (err) {
        this.syncFailures++;
        throw err;
      }
      if (!ack?.ok) {
        this.syncFailures++;
        throw new Error(`${this.name}: channel:sync refused: ${JSON.stringify(ack)}`);
      }
      for (const m of ack.messages as Message[]) this.record(m, 'sync');
      if (!ack.hasMore || ack.messages.length === 0) return;
      after = (ack.messages as Message[])[ack.messages.length - 1].seq;
    }
  }
}

/** Every acknowledged attempt of `clients` (a clientId may be acknowledged more than once: retries). */
export function ackedAttempts(clients: ChatClient[]): Attempt[] {
  return clients.flatMap((c) => c.attempts.filter((a) => a.outcome === 'acked'));
}
