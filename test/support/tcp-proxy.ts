import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../scripts/lib/embedded';

export interface TcpProxy {
  /** `postgres://127.0.0.1:<port>`, for a Postgres target. */
  url: string;
  port: number;
  /** Connections currently piped. */
  readonly connections: number;
  /** Stops accepting (connections are refused) and destroys every live connection mid-stream. */
  close(): Promise<void>;
  /** Listens on the same port again. */
  open(): Promise<void>;
}

export interface TcpProxyOptions {
  /**
   * Everything the target sends (and its end) reaches the client this much later, in order; what
   * the client sends goes through at once. A server across a slow or congested link. Default 0.
   */
  answerDelayMs?: number;
}

/**
 * A TCP proxy on a free loopback port in front of `target` that the test can cut: closing it
 * refuses new connections and resets the live ones, which is what the services see when the
 * server crashes or the network partitions. The server itself keeps running for the other suites;
 * Postgres, say, sees the sessions drop and rolls back whatever they had not committed.
 */
export async function startTcpProxy(
  target: { host: string; port: number },
  opts: TcpProxyOptions = {},
): Promise<TcpProxy> {
  const port = await freePort();
  const delayMs = opts.answerDelayMs ?? 0;
  const live = new Set<Socket>();
  let server: Server | null = null;

  const open = async (): Promise<void> => {
    const srv = createServer((client) => {
      const upstream = createConnection(target);
      live.add(client);
      live.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        live.delete(client);
        live.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      client.pipe(upstream);
      if (delayMs === 0) {
        upstream.on('error', drop).on('close', drop);
        upstream.pipe(client);
      } else {
        // The client's side closes once the delayed answers and end have reached it.
        upstream.on('error', drop);
        upstream.on(
          'data',
          (chunk) => void setTimeout(() => client.writable && client.write(chunk), delayMs),
        );
        upstream.on('end', () => void setTimeout(() => client.end(), delayMs));
      }
    });
    await new Promise<void>((done, fail) => {
      srv.once('error', fail);
      srv.listen(port, '127.0.0.1', () => done());
    });
    server = srv;
  };

  const close = async (): Promise<void> => {
    const srv = server;
    server = null;
    if (!srv) return;
    const closed = new Promise<void>((done) => srv.close(() => done()));
    for (const s of live) s.destroy();
    live.clear();
    await closed;
  };

  await open();
  return {
    url: `postgres://127.0.0.1:${port}`,
    port,
    get connections() {
      return live.size / 2;
    },
    open,
    close,
  };
}
