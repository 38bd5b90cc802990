import { Server } from 'socket.io';
import { channelRoom, userRoom } from '../infra/rooms';
import { RoomMoves } from './room-moves';

describe('RoomMoves', () => {
  let io: Server;
  let moves: RoomMoves;

  beforeEach(() => {
    // Not listening: the in-memory adapter is all these need.
    io = new Server();
    moves = new RoomMoves();
    moves.watch(io.of('/').adapter);
  });

  it('notices a membership move of a user after a mark, and only of that user', () => {
    const mark = moves.mark();
    io.in(userRoom('alice')).socketsJoin(channelRoom('c1'));
    expect(moves.movedSince('alice', mark)).toBe(true);
    expect(moves.movedSince('bob', mark)).toBe(false);
    expect(moves.movedSince('alice', moves.mark())).toBe(false);
  });

  it('notices removals too', () => {
    const mark = moves.mark();
    io.in(userRoom('alice')).socketsLeave(channelRoom('c1'));
    expect(moves.movedSince('alice', mark)).toBe(true);
  });

  it('does not count moves of channel rooms as user moves', () => {
    const mark = moves.mark();
    io.in(channelRoom('c1')).socketsJoin(channelRoom('c2'));
    io.to(channelRoom('c1')).emit('message:new', {});
    expect(moves.movedSince('alice', mark)).toBe(false);
  });

  it('answers "moved" for a mark older than what it still remembers', () => {
    const old = moves.mark();
    io.in(userRoom('bob')).socketsJoin(channelRoom('c1'));
    moves.prune();
    const recent = moves.mark();
    moves.prune();
    expect(moves.movedSince('alice', old)).toBe(true);
    expect(moves.movedSince('alice', recent)).toBe(false);
  });
});
