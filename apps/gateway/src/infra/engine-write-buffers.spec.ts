import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { reuseWriteBuffers } from './engine-write-buffers';

/** What a test sees of a server socket's engine.io connection. */
interface Conn {
  transport: { name: string; send(packets: unknown[]): void };
}

/** A real socket.io server on loopback, with the patch installed as the gateway installs it. */
async function start(): Promise<{ io: Server; url: string }> {
  reuseWriteBuffers();
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

async function client(url: string, transports: string[]): Promise<ClientSocket> {
  const socket = connect(url, { transports, forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

/** Resolves with the first `n` `m` events a client receives, in order. */
function receive(socket: ClientSocket, n: number): Promise<number[]> {
  const got: number[] = [];
  return new Promise((resolve) => {
    socket.on('m', (i: number) => {
      got.push(i);
      if (got.length === n) resolve(got);
    });
  });
}

describe('reuseWriteBuffers', () => {
  let io: Server;
  let url: string;
  const clients: ClientSocket[] = [];

  beforeEach(async () => {
    ({ io, url } = await start());
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    // A polling client says goodbye with one more request: let the server take it before closing.
    for (let i = 0; i < 100 && io.of('/').sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    await io.close();
  });

  it('delivers broadcasts and direct emits, interleaved in one burst, in order over WebSocket', async () => {
    const joined = new Promise<Socket[]>((resolve) => {
      const sockets: Socket[] = [];
      io.on('connection', (s) => {
        void s.join('room');
        sockets.push(s);
        if (sockets.length === 3) resolve(sockets);
      });
    });
    for (let i = 0; i < 3; i++) clients.push(await client(url, ['websocket']));
    const sockets = await joined;
    const all = clients.map((c) => receive(c, 2000));

    // Far more than one write: most of these queue while the transport is still writing (not
    // writable) and go out with the flush engine.io starts when it is ready again.
    for (let i = 0; i < 2000; i++) {
      if (i % 3 === 0) for (const s of sockets) s.emit('m', i);
      else io.to('room').emit('m', i);
    }

    const expected = Array.from({ length: 2000 }, (_, i) => i);
    for (const got of await Promise.all(all)) expect(got).toEqual(expected);
  });

  it('empties every array it hands to the WebSocket transport, and writes with the same two again', async () => {
    const connected = new Promise<Socket>((resolve) => io.on('connection', resolve));
    clients.push(await client(url, ['websocket']));
    const conn = (await connected).conn as unknown as Conn;
    expect(conn.transport.name).toBe('websocket');
    const handed: unknown[][] = [];
    const send = conn.transport.send.bind(conn.transport);
    conn.transport.send = (packets) => {
      handed.push(packets);
      send(packets);
    };
    const got = receive(clients[0], 300);

    for (let i = 0; i < 300; i++) io.emit('m', i);
    await got;

    expect(handed.length).toBeGreaterThan(1);
    // Without the patch each flush hands over a new array that keeps its packets after the write.
    expect(handed.every((packets) => packets.length === 0)).toBe(true);
    expect(new Set(handed).size).toBeLessThanOrEqual(2);
  });

  it('leaves the polling transport to engine.io, which still delivers in order', async () => {
    const connected = new Promise<Socket>((resolve) => io.on('connection', resolve));
    clients.push(await client(url, ['polling']));
    const socket = await connected;
    expect((socket.conn as unknown as Conn).transport.name).toBe('polling');
    const got = receive(clients[0], 500);

    for (let i = 0; i < 500; i++) socket.emit('m', i);

    expect(await got).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
