import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Adapter } from 'socket.io-adapter';
import { EVENT_BUS, Lifecycle, mapError, type EventBus } from '@chat/platform';
import { Authenticator, SecurityErrors, type Principal } from '@chat/security';
import { ChannelsService } from '../channels/channels.service';
import { channelRoom, userRoom } from '../infra/rooms';
import { SocketHub, type GatewaySocket } from '../infra/socket-hub';
import { SocketRounds } from '../infra/socket-rounds';
import { PresenceService } from '../presence/presence.service';
import { TypingService } from '../presence/typing.service';
import { UsersService } from '../users/users.service';
import { ExpiryWheel } from './expiry-wheel';
import { forgetToken, tokenFrom, VerifiedTokens, type VerifiedIdentity } from './handshake';
import { RealtimeErrors } from './realtime.errors';
import { ROOM_MOVES_HORIZON_MS, RoomMoves, type RoomMovesMark } from './room-moves';

/** Safety net behind the ban events: how often local sockets are checked against the users table. */
const AUDIT_INTERVAL_MS = 30_000;
/** How often sockets whose access token expired are ended (commands check expiry themselves). */
const EXPIRY_SWEEP_MS = 1000;
const SETTLED = Promise.resolve();

/**
 * The life of a socket: handshake authentication, rooms, presence, the token's expiry, and its end
 * (disconnect, ban, expiry). A socket ends with `session:ended` + disconnect when its session is
 * over, so the client knows to refresh its token instead of reconnecting blindly.
 */
@Injectable()
export class SocketSessions implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SocketSessions.name);
  /** Set-ups still running (rooms, presence); commands wait for them. Dropped once done. */
  private readonly setUps = new WeakMap<GatewaySocket, Promise<void>>();
  /** Every local socket, by when its access token expires: one sweep instead of a timer each. */
  private readonly expiries = new ExpiryWheel<GatewaySocket>();
  /** Clean-ups of closed sockets still running (presence, typing), awaited by a graceful shutdown. */
  private readonly cleanups = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Tokens verified here before: a reconnect wave skips their signature checks. */
  private readonly verified = new VerifiedTokens();
  /** Room moves of users seen here, and where the log stood when each handshake read channels. */
  private readonly moves = new RoomMoves();
  private readonly marks = new WeakMap<GatewaySocket, RoomMovesMark>();
  /** The audit behind the ban events, a slice of the sockets at a time. */
  private readonly audit = new SocketRounds({
    periodMs: AUDIT_INTERVAL_MS,
    // A statement a second, of a thirtieth of the sockets.
    tickMs: 1000,
    sockets: () => this.hub.eachLocalSocket(),
    visit: (sockets) => this.auditSockets(sockets),
    onError: (err) => this.logger.warn({ err }, 'socket audit failed'),
  });

  constructor(
    private readonly authenticator: Authenticator,
    private readonly channels: ChannelsService,
    private readonly presence: PresenceService,
    private readonly typing: TypingService,
    private readonly hub: SocketHub,
    private readonly lifecycle: Lifecycle,
    private readonly users: UsersService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    // Every replica hears these, so each acts on its own sockets only.
    this.bus.subscribe('user.banned', ({ userId }) => {
      for (const socket of this.hub.localSocketsOf(userId))
        this.end(socket, RealtimeErrors.sessionRevoked().message);
    });
    this.bus.subscribe('user.roles_changed', ({ userId, roles }) => {
      for (const socket of this.hub.localSocketsOf(userId)) socket.data.user = { ...socket.data.user, roles };
    });
  }

  onApplicationBootstrap(): void {
    this.audit.start();
    const expiry = setInterval(() => this.endExpired(), EXPIRY_SWEEP_MS);
    const moves = setInterval(() => this.moves.prune(), ROOM_MOVES_HORIZON_MS);
    for (const timer of [expiry, moves]) {
      timer.unref();
      this.timers.push(timer);
    }
  }

  onApplicationShutdown(): void {
    this.audit.stop();
    for (const timer of this.timers) clearInterval(timer);
  }

  /** `io.use`: who is connecting, and the channels whose rooms the socket will be in. */
  async authenticate(socket: GatewaySocket): Promise<void> {
    if (this.lifecycle.draining) throw RealtimeErrors.draining();
    // Before the channels are read: a membership change after this point is noticed in `connected`.
    this.marks.set(socket, this.moves.mark());
    const token = tokenFrom(socket.handshake);
    forgetToken(socket.handshake);
    const known = typeof token === 'string' ? await this.verifiedBefore(token) : undefined;
    // A token verified here before skips the signature check; a bot token has no claims.
    const identity = known ?? (await this.authenticator.claimsOf(token));
    if (!identity) {
      const bot = await this.authenticator.authenticate(token);
      socket.data.user = bot;
      socket.data.channelIds = await this.channels.memberChannelIds(bot.id);
      return;
    }
    // The signature says who it is: their status and channels are read together (one round trip).
    const [user, channelIds] = await Promise.all([
      this.authenticator.principalFor(identity),
      this.channels.memberChannelIds(identity.sub),
    ]);
    // Two-factor required and not set up: the chat waits until it is (connect_error FORBIDDEN).
    if (user.totpSetupRequired) throw SecurityErrors.totpSetupRequired();
    if (!known && typeof token === 'string') await this.remember(token, user);
    socket.data.user = user;
    socket.data.channelIds = channelIds;
  }

  /** Who a token verified here before stands for, if its key is still the one that verified it. */
  private async verifiedBefore(token: string): Promise<VerifiedIdentity | undefined> {
    try {
      return await this.verified.get(token, () => this.authenticator.verifier.keyFor(token), Date.now());
    } catch {
      return undefined;
    }
  }

  /** Caches an access token that just passed the full check, with the key that verified it. */
  private async remember(token: string, user: Principal): Promise<void> {
    try {
      const key = await this.authenticator.verifier.keyFor(token);
      this.verified.set(token, { sub: user.id, exp: user.exp }, key);
    } catch {
      // Its key went away in between: it is simply not cached.
    }
  }

  /** Records the room moves the socket.io adapter applies (see RoomMoves). */
  watchRoomMoves(adapter: Adapter): void {
    this.moves.watch(adapter);
  }

  /** `connection`: rooms, presence, and the token's expiry. Synchronous up to the first await. */
  connected(socket: GatewaySocket): void {
    const { user, channelIds = [] } = socket.data;
    delete socket.data.channelIds;
    void socket.join([userRoom(user.id), ...channelIds.map(channelRoom)]);
    const mark = this.marks.get(socket);
    this.marks.delete(socket);
    // Now in `user:<id>`, the socket gets every later move; an earlier one since the channels were
    // read was not applied to it, and is only possible if one was seen here in between.
    const stale = !mark || this.moves.movedSince(user.id, mark);
    const setUp = this.settle(socket, channelIds, stale);
    this.setUps.set(socket, setUp);
    void setUp.then(() => this.setUps.delete(socket));
    this.expiries.add(socket, user.exp);
    socket.once('disconnecting', () => this.disconnecting(socket));
  }

  /** Resolves once the socket's rooms are reconciled; commands run after it. */
  ready(socket: GatewaySocket): Promise<void> {
    return this.setUps.get(socket) ?? SETTLED;
  }

  /** Ends a socket's session: tells the client why, then disconnects it (no automatic reconnect). */
  end(socket: GatewaySocket, message: string): void {
    if (!socket.connected) return;
    socket.emit('session:ended', { code: 'UNAUTHORIZED', message });
    socket.disconnect(true);
  }

  /** Graceful shutdown: waits for the clean-ups of closed sockets. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.cleanups]);
  }

  /**
   * Presence first, issued before this handler returns, so the lease is taken before any later
   * release (another tab closing) can be. Then, if the handshake's snapshot may be `stale`, the
   * rooms: membership changes between the snapshot and joining `user:<id>` were not delivered to
   * this socket (it was not connected yet), so they are applied now; later ones reach it through
   * `user:<id>`.
   */
  private settle(socket: GatewaySocket, channelIds: string[], stale: boolean): Promise<void> {
    const { user } = socket.data;
    const presence = this.presence.connected(user, socket.id);
    const status = this.recheck(socket);
    if (!stale) {
      return Promise.all([presence, status]).then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, userId: user.id }, 'socket set-up incomplete'),
      );
    }
    const rooms = this.channels.memberChannelIds(user.id).then((current) => {
      if (!socket.connected) return;
      const now = new Set(current);
      const before = new Set(channelIds);
      for (const id of now) if (!before.has(id)) void socket.join(channelRoom(id));
      for (const id of before) if (!now.has(id)) void socket.leave(channelRoom(id));
    });
    return Promise.all([presence, status, rooms]).then(
      () => undefined,
      (err: unknown) => this.logger.warn({ err, userId: user.id }, 'socket set-up incomplete'),
    );
  }

  /**
   * A ban (or role change) event finds a user's sockets by their `user:<id>` room, which the
   * socket joined only now: one heard between the handshake's status read and that join missed it.
   * So the status is read again once in the room, a cache hit unless such an event came meanwhile
   * and revoked the entry (then it is read from the database: ExpiringCache). Without this, a user
   * banned during their handshake stayed connected, receiving the chat, until the next audit.
   */
  private async recheck(socket: GatewaySocket): Promise<void> {
    const { user } = socket.data;
    try {
      const now = await this.authenticator.principalFor({ sub: user.id, exp: user.exp });
      if (socket.connected) socket.data.user = { ...socket.data.user, roles: now.roles };
    } catch (err) {
      if (mapError(err).code !== 'UNAUTHORIZED') throw err;
      this.end(socket, RealtimeErrors.sessionRevoked().message);
    }
  }

  private disconnecting(socket: GatewaySocket): void {
    const { user } = socket.data;
    this.expiries.remove(socket, user.exp);
    const draining = this.lifecycle.draining;
    // After set-up, so a socket that leaves at once does not leave a lease behind.
    const cleanup = this.ready(socket)
      .then(() =>
        Promise.all([
          draining ? this.presence.drained(user.id, socket.id) : this.presence.disconnected(user, socket.id),
          this.typing.socketGone(socket.id),
        ]),
      )
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err, userId: user.id }, 'socket clean-up failed'),
      );
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }

  /** An expired access token does not keep a socket alive: it ends within a second of `exp`. */
  private endExpired(): void {
    for (const socket of this.expiries.due(Date.now()))
      this.end(socket, RealtimeErrors.tokenExpired().message);
  }

  /** Ends sockets of users banned or deleted while an event was missed (Redis hiccup). */
  private async auditSockets(due: GatewaySocket[]): Promise<void> {
    const sockets = due.filter((s) => s.data.user);
    const userIds = [...new Set(sockets.map((s) => s.data.user.id))];
    if (userIds.length === 0) return;
    const allowed = await this.users.activeIds(userIds);
    for (const socket of sockets) {
      if (!allowed.has(socket.data.user.id)) this.end(socket, RealtimeErrors.sessionRevoked().message);
    }
  }
}
