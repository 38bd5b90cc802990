import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { fastDecoderParser } from '../../bench/lib/fast-decoder';

/**
 * The load generators' decoder, against a real socket.io server and client: benchmark bodies are
 * picked straight from the frame, everything else still reaches the client's listeners intact.
 */
describe('the load generators’ fast decoder', () => {
  let http: HttpServer;
  let server: Server;
  let client: Socket;
  const bodies: string[] = [];
  const events: unknown[] = [];

  beforeAll(async () => {
    http = createServer();
    server = new Server(http);
    server.on('connection', (socket) => {
      socket.on('echo', (payload: unknown, ack: (x: unknown) => void) => ack({ ok: true, payload }));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    client = io(`http://127.0.0.1:${port}`, {
      transports: ['websocket'],
      parser: fastDecoderParser((b) => bodies.push(b)),
    });
    client.on('message:new', (m: unknown) => events.push(m));
    await new Promise<void>((resolve) => client.once('connect', resolve));
  });

  afterAll(async () => {
    client.close();
    await server.close();
  });

  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  it('hands a benchmark body over without the event listener', async () => {
    const message = { id: 'm1', author: { username: 'b|"body":"x' }, body: 'B|t1|123.456|lorem', seq: 1 };
    server.emit('message:new', message);
    await settle();
    expect(bodies).toHaveLength(1);
    expect(bodies[0].startsWith('B|t1|123.456|lorem')).toBe(true);
    expect(events).toEqual([]);
  });

  it('passes any other message, event and acknowledgement through socket.io’s parser', async () => {
    bodies.length = 0;
    const plain = { id: 'm2', body: 'hello "B|not|a|benchmark"', seq: 2 };
    server.emit('message:new', plain);
    await settle();
    expect(events).toEqual([plain]);
    expect(bodies).toEqual([]);
    const ack = await client.emitWithAck('echo', { body: 'B|x|1|y' });
    expect(ack).toEqual({ ok: true, payload: { body: 'B|x|1|y' } });
  });
});
