import type { Adapter, BroadcastOptions } from 'socket.io-adapter';
import { userRoom } from '../infra/rooms';

/** How long a move is remembered: a handshake that takes longer re-reads its channels anyway. */
export const ROOM_MOVES_HORIZON_MS = 10_000;

/** A point in the log, taken before a handshake reads the user's channels. */
export interface RoomMovesMark {
  seq: number;
}

/** The adapter member this relies on (socket.io-adapter 2.5, as infra/sliced-broadcast.ts). */
interface Internals {
  apply(opts: BroadcastOptions, callback: (socket: unknown) => void): void;
}

const USER_ROOM_PREFIX = userRoom('');

/**
 * Which users this replica saw addressed through their `user:<id>` room lately: membership changes
 * move a user's sockets into and out of channel rooms with `socketsJoin`/`socketsLeave` on that room
 * (SocketHub.addToChannel/removeFromChannel), and every replica applies them, whichever published
 * them (both Redis adapters send them on the namespace's main channel), through the adapter's
 * `apply`. So a handshake that read the user's channels after taking a mark, then joined
 * `user:<id>`, missed a membership change only if a move for that user was applied here in between.
 * Broadcasts to `user:<id>` are counted too (they also go through `apply`): that costs a needless
 * re-read now and then, never a missed move.
 */
export class RoomMoves {
  private seq = 0;
  /** The seq of each user's last move, for moves newer than `floor`. */
  private readonly last = new Map<string, number>();
  /** Moves at or below this seq were forgotten: older marks always count as "moved". */
  private floor = 0;
  private previousPrune = 0;

  /** Records every `apply` of the adapter addressed to a user room. Patched on the instance. */
  watch(adapter: Adapter): void {
    const internals = adapter as unknown as Internals;
    const apply = internals.apply.bind(adapter);
    internals.apply = (opts, callback) => {
      for (const room of opts.rooms)
        if (room.startsWith(USER_ROOM_PREFIX)) this.moved(room.slice(USER_ROOM_PREFIX.length));
      apply(opts, callback);
    };
  }

  mark(): RoomMovesMark {
    return { seq: this.seq };
  }

  moved(userId: string): void {
    this.last.set(userId, ++this.seq);
  }

  /** Whether the user's sockets may have been moved since `mark` (when in doubt, yes). */
  movedSince(userId: string, mark: RoomMovesMark): boolean {
    if (mark.seq < this.floor) return true;
    return (this.last.get(userId) ?? 0) > mark.seq;
  }

  /** Forgets the moves older than the previous call (called every ROOM_MOVES_HORIZON_MS). */
  prune(): void {
    this.floor = this.previousPrune;
    this.previousPrune = this.seq;
    for (const [userId, seq] of this.last) if (seq <= this.floor) this.last.delete(userId);
  }
}
