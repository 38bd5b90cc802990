import type { Adapter, BroadcastOptions, Room } from 'socket.io-adapter';

/** A socket as the adapter hands it to a broadcast's per-socket writer (only its identity matters here). */
type Target = unknown;
type Writer = (socket: Target) => void;

export interface SlicedBroadcastOptions {
  /**
   * Sockets written per slice (default 500). A broadcast to more local sockets than this is
   * written a slice per event-loop turn, so a message to a 10,000-member channel does not stall
   * the replica's other sockets (commands, acks, heartbeats) for the whole write; smaller ones are
   * written at once, exactly as socket.io does.
   */
  sliceSize?: number;
  /** Called with the size of every slice written by a sliced broadcast (metrics, tests). */
  onSlice?: (sockets: number) => void;
}

export const DEFAULT_BROADCAST_SLICE = 500;

/** A broadcast not fully written yet: its recipients as they were when it was emitted. */
interface Job {
  /** The rooms it was sent to; null: every socket of the namespace (conflicts with every job). */
  rooms: Room[] | null;
  targets: Target[];
  next: number;
  write: Writer;
}

/** The adapter members this relies on (socket.io-adapter 2.5: `broadcast` → `_encode` → `apply`). */
interface Internals {
  rooms: Map<Room, Set<string>>;
  _encode(packet: { id?: number }, packetOpts: unknown): unknown;
  apply(opts: BroadcastOptions, callback: Writer): void;
}

/**
 * Makes an adapter (the in-memory one, or the Redis or sharded Redis one: whichever the server
 * created) write the local part of a large broadcast over several event-loop turns.
 *
 * Every adapter ends in socket.io-adapter's `broadcast`, whether the emit is local or came from
 * Redis: it encodes the packet once (`_encode`, the WebSocket frame included), then calls `apply`
 * with the per-socket writer. The instance's `_encode` marks the next `apply` as a broadcast's, and
 * that `apply` takes the recipients then (socket.io's semantics: the room as it is at emit time, a
 * socket that joins later does not get it, one that has closed is skipped by the engine) and
 * writes them a slice per turn. Broadcasts with acknowledgements (`packet.id` set) count their
 * recipients synchronously, so they are never sliced. Patched on the instance rather than
 * subclassed, because `createAdapter` returns a factory and the Redis adapters call the base
 * class's `broadcast` directly.
 *
 * Order: while a sliced broadcast of a room is being written, later broadcasts touching that room
 * (any size) queue behind it, so no socket sees a room's later message before an earlier one.
 * Broadcasts to other rooms are not held up, and a small room with nothing queued is written at
 * once, by socket.io's own loop.
 */
export function sliceBroadcasts(adapter: Adapter, options: SlicedBroadcastOptions = {}): void {
  install(
    adapter as unknown as Internals,
    Math.max(1, options.sliceSize ?? DEFAULT_BROADCAST_SLICE),
    options.onSlice,
  );
}

function install(adapter: Internals, sliceSize: number, onSlice?: (n: number) => void): void {
  const encode = adapter._encode.bind(adapter);
  const apply = adapter.apply.bind(adapter);
  const queue = new SliceQueue(sliceSize, onSlice);
  let broadcasting = false;
  adapter._encode = (packet, packetOpts) => {
    broadcasting = packet.id === undefined;
    return encode(packet, packetOpts);
  };
  adapter.apply = (opts, write) => {
    if (!broadcasting) return apply(opts, write);
    broadcasting = false;
    const rooms = opts.rooms.size > 0 ? [...opts.rooms] : null;
    if (!queue.busy(rooms)) {
      // The common case (a small room, nothing of it in flight): socket.io's own loop, no copy.
      let count = 0;
      for (const room of rooms ?? []) count += adapter.rooms.get(room)?.size ?? 0;
      if (rooms && count <= sliceSize) return apply(opts, write);
    }
    const targets: Target[] = [];
    apply(opts, (socket) => targets.push(socket));
    queue.push({ rooms, targets, next: 0, write });
  };
}

/**
 * Broadcasts being written in slices, oldest first. Each turn writes at most `sliceSize` sockets
 * in all, taking jobs in order but skipping (for this turn) a job that shares a room with an
 * earlier unfinished one.
 */
export class SliceQueue {
  private readonly jobs: Job[] = [];
  /** Unfinished jobs per room. */
  private readonly rooms = new Map<Room, number>();
  private everyRoom = 0;
  private scheduled = false;

  constructor(
    private readonly sliceSize: number,
    private readonly onSlice?: (n: number) => void,
  ) {}

  /** Whether a broadcast to `rooms` must queue behind one still being written. */
  busy(rooms: Room[] | null): boolean {
    if (this.jobs.length === 0) return false;
    if (rooms === null || this.everyRoom > 0) return true;
    return rooms.some((r) => this.rooms.has(r));
  }

  /** Queues a job; when nothing was queued, its first slice is written now. */
  push(job: Job): void {
    this.jobs.push(job);
    if (job.rooms === null) this.everyRoom++;
    else for (const r of job.rooms) this.rooms.set(r, (this.rooms.get(r) ?? 0) + 1);
    if (this.jobs.length === 1) this.run();
    else this.schedule();
  }

  get pending(): number {
    return this.jobs.length;
  }

  private schedule(): void {
    if (this.scheduled || this.jobs.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /** One turn's worth of writes. */
  private run(): void {
    let budget = this.sliceSize;
    const blocked = new Set<Room>();
    let blockAll = false;
    for (let i = 0; i < this.jobs.length && budget > 0; i++) {
      const job = this.jobs[i];
      const conflicts =
        blockAll || (job.rooms === null ? blocked.size > 0 : job.rooms.some((r) => blocked.has(r)));
      if (!conflicts) {
        const end = Math.min(job.targets.length, job.next + budget);
        const size = end - job.next;
        for (; job.next < end; job.next++) job.write(job.targets[job.next]);
        budget -= size;
        if (size > 0) this.onSlice?.(size);
        if (job.next >= job.targets.length) {
          this.finish(i--);
          continue;
        }
      }
      if (job.rooms === null) blockAll = true;
      else for (const r of job.rooms) blocked.add(r);
    }
    this.schedule();
  }

  private finish(index: number): void {
    const [job] = this.jobs.splice(index, 1);
    if (job.rooms === null) {
      this.everyRoom--;
      return;
    }
    for (const r of job.rooms) {
      const n = (this.rooms.get(r) ?? 1) - 1;
      if (n === 0) this.rooms.delete(r);
      else this.rooms.set(r, n);
    }
  }
}
