import { createServer, connect, type Server, type Socket } from 'node:net';
import { Metrics, PER_HANDLE_METRICS } from './metrics';

describe('Metrics', () => {
  let server: Server;
  const sockets: Socket[] = [];
  let accepted = 0;

  beforeAll(async () => {
    server = createServer((s) => {
      accepted++;
      sockets.push(s);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    // Open connections, as a gateway holds: each is a libuv handle.
    await Promise.all(
      Array.from(
        { length: 200 },
        () =>
          new Promise<void>((resolve) => {
            const s = connect(port, '127.0.0.1', () => resolve());
            sockets.push(s);
          }),
      ),
    );
    while (accepted < 200) await new Promise((resolve) => setImmediate(resolve));
  });
  afterEach(() => jest.restoreAllMocks());
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('scrapes without listing every handle of the process, and still says what operators watch', async () => {
    const handles = jest.spyOn(
      process as unknown as { _getActiveHandles: () => unknown[] },
      '_getActiveHandles',
    );
    const resources = jest.spyOn(process, 'getActiveResourcesInfo');
    const text = await new Metrics('spec').registry.metrics();
    expect(handles).not.toHaveBeenCalled();
    expect(resources).not.toHaveBeenCalled();
    for (const name of PER_HANDLE_METRICS) expect(text).not.toContain(`# TYPE ${name} `);
    for (const name of [
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_p99_seconds',
    ])
      expect(text).toContain(`# TYPE ${name} gauge`);
    // The connections themselves are there: the open descriptors count them.
    const fds = Number(/^process_open_fds\{[^}]*\} (\d+)$/m.exec(text)?.[1]);
    expect(fds).toBeGreaterThanOrEqual(400);
  });
});
