import { Adapter } from 'socket.io-adapter';
import { Encoder } from 'socket.io-parser';
import { sliceBroadcasts } from './sliced-broadcast';

/**
 * The real in-memory adapter, sliced; only the sockets are stand-ins (what a socket.io Socket
 * exposes to a broadcast: its id, its acks and `client.writeToEngine`), so 10,000 of them fit in a unit test.
 */
interface FakeSocket {
  id: string;
  received: string[];
  acks: Map<number, unknown>;
  client: { writeToEngine(packets: string[]): void };
}

const SLICE = 500;

function setUp() {
  const sockets = new Map<string, FakeSocket>();
  const nsp = { name: '/', server: { encoder: new Encoder() }, sockets, _ids: 0 };
  const slices: number[] = [];
  const adapter = new Adapter(nsp);
  sliceBroadcasts(adapter, { sliceSize: SLICE, onSlice: (n) => slices.push(n) });
  const add = (id: string, rooms: string[]): FakeSocket => {
    const socket: FakeSocket = {
      id,
      received: [],
      acks: new Map(),
      client: { writeToEngine: (packets) => socket.received.push(...packets.map(eventOf)) },
    };
    sockets.set(id, socket);
    void adapter.addAll(id, new Set(rooms));
    return socket;
  };
  const emit = (rooms: string[], event: string, except: string[] = []) =>
    adapter.broadcast(
      { type: 2, data: [event], nsp: '/' },
      { rooms: new Set(rooms), except: new Set(except), flags: {} },
    );
  return { adapter, add, emit, slices };
}

/** `2["m1"]` (or `27["m1"]` with an ack id) → `m1`. */
function eventOf(encoded: string): string {
  return (JSON.parse(encoded.slice(encoded.indexOf('['))) as string[])[0];
}

/** Lets the queued slices run (one per event-loop turn). */
async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

describe('sliceBroadcasts', () => {
  it('writes a broadcast to a 10,000-socket room a slice per turn, to every socket exactly once', async () => {
    const { add, emit, slices } = setUp();
    const members = Array.from({ length: 10_000 }, (_, i) => add(`s${i}`, ['big']));

    emit(['big'], 'm1');
    // Only the first slice is written before the emitter gets its turn back.
    expect(members.filter((s) => s.received.length > 0)).toHaveLength(SLICE);

    await turns(30);
    expect(members.every((s) => s.received.join() === 'm1')).toBe(true);
    expect(slices).toEqual(Array.from({ length: 10_000 / SLICE }, () => SLICE));
  });

  it('keeps every socket’s order across back-to-back messages of the room', async () => {
    const { add, emit } = setUp();
    const members = Array.from({ length: 10_000 }, (_, i) =>
      add(`s${i}`, ['big', ...(i < 10 ? ['small'] : [])]),
    );

    emit(['big'], 'm1');
    emit(['big'], 'm2');
    emit(['small', 'big'], 'm3');
    emit(['big'], 'm4');
    await turns(100);

    expect(members.every((s) => s.received.join() === 'm1,m2,m3,m4')).toBe(true);
  });

  it('writes a small room at once, even while a large one is being written', () => {
    const { add, emit, slices } = setUp();
    for (let i = 0; i < 2000; i++) add(`b${i}`, ['big']);
    const small = Array.from({ length: 20 }, (_, i) => add(`t${i}`, ['small']));

    emit(['big'], 'long');
    emit(['small'], 'quick');

    expect(small.every((s) => s.received.join() === 'quick')).toBe(true);
    expect(slices).toEqual([SLICE]);
  });

  it('delivers to the room as it was at emit time: later joiners get only later messages', async () => {
    const { adapter, add, emit } = setUp();
    const members = Array.from({ length: 3000 }, (_, i) => add(`s${i}`, ['big']));
    const leaver = members[2999];
    const joiner = add('late', []);

    emit(['big'], 'm1');
    void adapter.addAll('late', new Set(['big']));
    void adapter.del(leaver.id, 'big');
    emit(['big'], 'm2');
    await turns(50);

    expect(joiner.received).toEqual(['m2']);
    expect(leaver.received).toEqual(['m1']);
    expect(members[0].received).toEqual(['m1', 'm2']);
  });

  it('leaves out the excepted sockets', async () => {
    const { add, emit } = setUp();
    const members = Array.from({ length: 1200 }, (_, i) =>
      add(`s${i}`, ['big', ...(i % 2 ? ['user:odd'] : [])]),
    );

    emit(['big'], 'm1', ['user:odd']);
    await turns(10);

    expect(members.filter((s) => s.received.length > 0)).toHaveLength(600);
    expect(members.filter((_, i) => i % 2 === 0).every((s) => s.received.join() === 'm1')).toBe(true);
  });

  it('does not slice a broadcast that counts acknowledgements', () => {
    const { adapter, add } = setUp();
    const members = Array.from({ length: 2000 }, (_, i) => add(`s${i}`, ['big']));
    let counted = -1;
    adapter.broadcastWithAck(
      { type: 2, data: ['ping'], nsp: '/' },
      { rooms: new Set(['big']), except: new Set(), flags: {} },
      (n) => (counted = n),
      () => undefined,
    );

    expect(counted).toBe(2000);
    expect(members.every((s) => s.received.join() === 'ping')).toBe(true);
  });
});
