import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import { createRedis, Lifecycle, securityHeaders, type RedisClient } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { adapterKey, adapterParser } from '../infra/adapter-protocol';
import { reuseWriteBuffers } from '../infra/engine-write-buffers';
import { GatewayMetrics } from '../infra/gateway-metrics';
import { sliceBroadcasts } from '../infra/sliced-broadcast';
import { SocketHub, type GatewayIo } from '../infra/socket-hub';
import { CommandDispatcher } from './command-dispatcher';
import { connectError, isOriginAllowed } from './handshake';
import { SocketSessions } from './socket-sessions';

/** How long a draining replica waits for closed connections to be noticed. */
const CLOSE_WAIT_MS = 3000;

/**
 * The socket.io server, on Nest's HTTP server (same port, path /socket.io/). Plain socket.io rather
 * than a Nest gateway: handshake checks, acknowledgements and shutdown order are ours, and Nest's
 * exception handling never answers a socket client.
 */
@Injectable()
export class SocketServer
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(SocketServer.name);
  private io: GatewayIo | null = null;
  private adapterClients: RedisClient[] = [];

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly httpHost: HttpAdapterHost,
    private readonly hub: SocketHub,
    private readonly sessions: SocketSessions,
    private readonly dispatcher: CommandDispatcher,
    private readonly lifecycle: Lifecycle,
    private readonly metrics: GatewayMetrics,
  ) {}

  onApplicationBootstrap(): void {
    const httpServer = this.httpHost.httpAdapter.getHttpServer() as HttpServer;
    // Sent packets must not outlive their write in an old-generation array (see the function).
    reuseWriteBuffers();
    const io: GatewayIo = new Server(httpServer, {
      path: '/socket.io/',
      serveClient: false,
      maxHttpBufferSize: this.config.socket.maxPayloadBytes,
      // Lets browsers use the polling transport cross-origin; it does not stop WebSockets (CORS
      // does not apply to them), which is what allowRequest is for.
      cors: { origin: this.config.corsOrigins },
      allowRequest: (req, callback) => callback(...this.admission(req)),
    });
    // socket.io answers its HTTP requests (polling) itself, never through Express: the same
    // security headers as the REST responses (libs/platform configure-app.ts) are set here.
    io.engine.use(securityHeaders());
    if (this.config.redis.url) {
      const sharded = this.config.socket.adapter === 'sharded';
      const pub = createRedis(this.config.redis.url, 'gateway-io-pub');
      // On a cluster, SSUBSCRIBE must go to the node owning each channel's slot: one subscriber
      // connection per master.
      const sub = createRedis(this.config.redis.url, 'gateway-io-sub', { shardedSubscribers: sharded });
      this.adapterClients = [pub, sub];
      io.adapter(
        sharded
          ? createShardedAdapter(pub, sub, {
              channelPrefix: adapterKey(this.config.redis.prefix),
              // A replica subscribes to a room's channel only while it has sockets in it.
              subscriptionMode: 'dynamic',
            })
          : createAdapter(pub, sub, {
              key: adapterKey(this.config.redis.prefix),
              parser: adapterParser,
              requestsTimeout: 3000,
            }),
      );
    }
    // Whichever adapter was created above: room moves are noticed (a handshake's channels may be
    // stale otherwise), and large rooms are written over several turns.
    this.sessions.watchRoomMoves(io.of('/').adapter);
    sliceBroadcasts(io.of('/').adapter, {
      sliceSize: this.config.socket.broadcastSlice,
      onSlice: (sockets) => this.metrics.broadcastSlices.observe(sockets),
    });
    io.use((socket, next) => {
      this.sessions.authenticate(socket).then(
        () => next(),
        (err: unknown) => next(this.refusal(err)),
      );
    });
    io.on('connection', (socket) => {
      this.sessions.connected(socket);
      this.dispatcher.bind(socket);
    });
    this.metrics.countSocketsWith(() => io.of('/').sockets.size);
    this.io = io;
    this.hub.attach(io);
  }

  /**
   * SIGTERM (app.close): stop taking handshakes and commands (/readyz already says draining), let
   * the commands in flight finish, then close the connections. Closing the transport, rather than a
   * socket.io disconnect, is what makes clients reconnect on their own, to another replica.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const io = this.io;
    if (!io) return;
    this.lifecycle.draining = true;
    await this.dispatcher.whenIdle(this.config.shutdownGraceMs);
    for (const socket of this.hub.localSockets()) socket.conn.close();
    await this.socketsGone(io, CLOSE_WAIT_MS);
    await this.sessions.settled();
    this.hub.detach();
    io.engine.close();
    await Promise.resolve(io.of('/').adapter.close()).catch((err: unknown) =>
      this.logger.warn({ err }, 'socket.io adapter did not close cleanly'),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.adapterClients.map((c) => c.quit()));
    this.adapterClients = [];
  }

  /** Transports close asynchronously; their disconnect handlers (presence, typing) must run first. */
  private async socketsGone(io: GatewayIo, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (io.of('/').sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** A failed handshake; failures that are ours rather than the client's are logged in full. */
  private refusal(err: unknown): Error {
    const refused = connectError(err);
    if (refused.data.code === 'INTERNAL' || refused.data.code === 'UNAVAILABLE') {
      this.logger.error({ err }, `socket handshake failed: ${refused.data.code}`);
    }
    return refused;
  }

  private admission(req: IncomingMessage): [string | null, boolean] {
    if (this.lifecycle.draining) return ['server is shutting down', false];
    if (!isOriginAllowed(req.headers.origin, this.config.corsOrigins)) return ['origin not allowed', false];
    return [null, true];
  }
}
