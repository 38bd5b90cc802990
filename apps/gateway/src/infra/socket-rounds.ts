import type { GatewaySocket } from './socket-hub';

/** How often a round visits its next slice. */
export const ROUND_TICK_MS = 250;

/** FNV-1a of a socket id, kept on the socket: its place in every round, fixed for its life. */
function slotOf(socket: GatewaySocket): number {
  let slot = socket.data.slot;
  if (slot === undefined) {
    slot = 0x811c9dc5;
    for (let i = 0; i < socket.id.length; i++) slot = Math.imul(slot ^ socket.id.charCodeAt(i), 0x01000193);
    slot >>>= 0;
    socket.data.slot = slot;
  }
  return slot;
}

export interface SocketRoundsOptions {
  /** Every socket is visited once per period. */
  periodMs: number;
  /** Between two slices (ROUND_TICK_MS unless said). */
  tickMs?: number;
  /** This replica's sockets now. */
  sockets: () => Iterable<GatewaySocket>;
  /** The work for some sockets; a rejection goes to `onError`, and the round goes on. */
  visit: (sockets: GatewaySocket[]) => Promise<void>;
  onError: (err: unknown) => void;
}

/**
 * Periodic work over this replica's sockets (lease renewals, the ban audit), done a slice at a
 * time. The sockets are split into `periodMs / tickMs` slices by a hash of their id, and each tick
 * visits the next slice: every socket is visited once per period, as when the whole replica went in
 * one go, but no tick hands the event loop, Redis or Postgres more than a slice. Renewing 50,000
 * leases at once held a send's publish, on the same Redis connection, for 194–238 ms
 * (bench/lease-renewal.ts, docs/scaling.md).
 *
 * A tick that comes while a visit still runs adds its slice to the next visit, which takes every
 * slice due meanwhile at once. So a slow Redis or Postgres (a round trip longer than a tick) makes
 * the visits larger, as they all were before, and never stretches the period: stretched past a
 * lease, it would let the leases of live sockets lapse.
 */
export class SocketRounds {
  readonly slices: number;
  private readonly tickMs: number;
  private cursor = 0;
  /** Slices due and not yet visited (ticks that came while a visit ran, and this one). */
  private owed = 0;
  private running = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: SocketRoundsOptions) {
    this.slices = Math.max(1, Math.round(options.periodMs / (options.tickMs ?? ROUND_TICK_MS)));
    this.tickMs = options.periodMs / this.slices;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Visits the next slice, with any left over from ticks that came during the previous visit; while
   * that visit runs, only counts the slice as owed. Never rejects.
   */
  async tick(): Promise<void> {
    this.owed = Math.min(this.slices, this.owed + 1);
    if (this.running) return;
    this.running = true;
    const from = this.cursor;
    const count = this.owed;
    this.owed = 0;
    this.cursor = (from + count) % this.slices;
    try {
      const due: GatewaySocket[] = [];
      for (const socket of this.options.sockets()) {
        // How many slices after `from` the socket's is: the visit takes `count` of them.
        const after = ((slotOf(socket) % this.slices) - from + this.slices) % this.slices;
        if (after < count) due.push(socket);
      }
      if (due.length > 0) await this.options.visit(due);
    } catch (err) {
      this.options.onError(err);
    } finally {
      this.running = false;
    }
  }
}
