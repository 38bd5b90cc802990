import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { turnBatches } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayRedis } from '../infra/gateway-redis';
import { presenceRoom, presenceSubscriptionsOf } from '../infra/rooms';
import { SocketHub, type GatewaySocket } from '../infra/socket-hub';
import { SocketRounds } from '../infra/socket-rounds';
import { UsersService } from '../users/users.service';
import {
  MemoryLeaseStore,
  RedisLeaseStore,
  type Lease,
  type LeaseStore,
  type LeaseUntil,
} from './lease-store';
import { PresenceAnnouncer, type PresenceUser } from './presence-announcer';

/** A draining replica's sockets keep their presence this long, so users who reconnect elsewhere do not flicker offline. */
const DRAIN_LEASE_GRACE_MS = 10_000;
const SWEEP_BATCH = 500;
/**
 * Leases of sockets connecting (or closing) in the same tick taken (or shortened) in one Redis call,
 * as renewals are: a reconnect wave of 5,000 sockets is 20 calls each way, not 5,000.
 */
const LEASE_BATCH = 250;

interface Departure {
  user: PresenceUser;
  socketId: string;
  due: number;
}

/**
 * Who is online, across replicas and tabs, and telling the sockets that follow a user
 * (`presence:subscribe`) when that changes. Leases live in Redis (or memory in single-process mode); this replica renews the leases
 * of its own sockets and sweeps lapsed ones, which is how a crashed replica's users go offline.
 */
@Injectable()
export class PresenceService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PresenceService.name);
  private readonly store: LeaseStore;
  private readonly announcer: PresenceAnnouncer;
  private readonly timers: NodeJS.Timeout[] = [];
  /** Closed sockets in their grace period, by socket id, earliest due first. */
  private readonly departures = new Map<string, Departure>();
  private departureTimer?: NodeJS.Timeout;
  /** Renews this replica's leases a slice at a time, each socket's every third of a lease. */
  private readonly renewals: SocketRounds;
  /** Per lease: whether its user came online (true for one lease of a user per batch). */
  private readonly acquirer = turnBatches<Lease, boolean, string>(
    async (leases) => {
      const now = Date.now();
      const came = new Set(
        await this.store.acquireMany([...leases], now + this.config.presence.leaseMs, now),
      );
      return leases.map((l) => came.delete(l.userId));
    },
    { maxBatchSize: LEASE_BATCH },
  );
  /** Closed sockets' leases, shortened to their grace together. */
  private readonly shortener = turnBatches<LeaseUntil, undefined>(
    async (leases) => {
      await this.store.shortenMany(leases);
      return leases.map(() => undefined);
    },
    { maxBatchSize: LEASE_BATCH },
  );

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly users: UsersService,
    hub: SocketHub,
    redis: GatewayRedis,
  ) {
    this.store = redis.client ? new RedisLeaseStore(redis.client, redis.prefix) : new MemoryLeaseStore();
    this.announcer = new PresenceAnnouncer(hub);
    this.renewals = new SocketRounds({
      periodMs: Math.max(100, Math.floor(config.presence.leaseMs / 3)),
      sockets: () => hub.eachLocalSocket(),
      visit: (sockets) => this.renew(sockets),
      onError: (err) => this.logger.warn({ err }, 'presence lease renewal failed'),
    });
  }

  onApplicationBootstrap(): void {
    this.renewals.start();
    this.every(this.config.presence.sweepMs, () => this.sweep());
  }

  onApplicationShutdown(): void {
    this.renewals.stop();
    for (const t of this.timers) clearInterval(t);
    // Their leases lapse on their own, and some replica's sweep reports them.
    clearTimeout(this.departureTimer);
    this.departures.clear();
  }

  /** A socket of `user` connected. */
  async connected(user: PresenceUser, socketId: string): Promise<void> {
    if (await this.acquirer.load({ userId: user.id, socketId })) this.announcer.announce(user, true);
  }

  /**
   * A socket of `user` is gone. Its lease is kept for
   * PRESENCE_OFFLINE_GRACE_MS, then released: the user goes offline then unless a socket of theirs
   * came back (on any replica), so a blip or a mass reconnect announces nothing.
   */
  async disconnected(user: PresenceUser, socketId: string): Promise<void> {
    const due = Date.now() + this.config.presence.offlineGraceMs;
    await this.shortener.load({ userId: user.id, socketId, expiresAt: due });
    this.departures.set(socketId, { user, socketId, due });
    this.scheduleDepartures();
  }

  /** A socket closed because this replica is draining: its user will likely reconnect elsewhere. */
  async drained(userId: string, socketId: string): Promise<void> {
    await this.shortener.load({ userId, socketId, expiresAt: Date.now() + DRAIN_LEASE_GRACE_MS });
  }

  /** Which of `userIds` are online anywhere. */
  online(userIds: string[]): Promise<Set<string>> {
    return this.store.online(userIds, Date.now());
  }

  /**
   * `presence:subscribe`: the socket now follows exactly `userIds` (rooms on this replica only, so
   * the cost is the socket's own set) and learns which of them are online. The rooms change before
   * the lookup, so a change that lands in between is pushed rather than lost.
   */
  async subscribe(socket: GatewaySocket, userIds: string[]): Promise<string[]> {
    const wanted = [...new Set(userIds)];
    const keep = new Set(wanted.map(presenceRoom));
    for (const userId of presenceSubscriptionsOf(socket.rooms)) {
      const room = presenceRoom(userId);
      if (!keep.has(room)) void socket.leave(room);
    }
    if (wanted.length > 0) void socket.join([...keep]);
    if (wanted.length === 0) return [];
    const online = await this.store.online(wanted, Date.now());
    return wanted.filter((id) => online.has(id));
  }

  /** Renews these sockets' leases; users whose lease had been swept (a long stall) come back online. */
  private async renew(due: GatewaySocket[]): Promise<void> {
    const sockets = due.filter((s) => s.data.user);
    if (sockets.length === 0) return;
    const now = Date.now();
    const leases: Lease[] = sockets.map((s) => ({ userId: s.data.user.id, socketId: s.id }));
    const came = new Set(await this.store.acquireMany(leases, now + this.config.presence.leaseMs, now));
    for (const socket of sockets) {
      if (came.delete(socket.data.user.id)) this.announcer.announce(socket.data.user, true);
    }
  }

  /** Drops lapsed leases (of any replica) and reports the users that left offline. */
  async sweep(): Promise<void> {
    const lapsed = await this.store.lapsed(Date.now(), SWEEP_BATCH);
    if (lapsed.length === 0) return;
    for (const userId of await this.store.releaseMany(lapsed, Date.now())) {
      const username = await this.users.username(userId);
      if (username !== null) this.announcer.announce({ id: userId, username }, false);
    }
  }

  private scheduleDepartures(): void {
    const [first] = this.departures.values();
    if (this.departureTimer || !first) return;
    this.departureTimer = setTimeout(() => {
      this.departureTimer = undefined;
      void this.releaseDeparted();
    }, first.due - Date.now());
    this.departureTimer.unref();
  }

  /** Releases the leases whose grace is over, reporting the users left without any offline. */
  private async releaseDeparted(): Promise<void> {
    const now = Date.now();
    const due: Departure[] = [];
    for (const d of this.departures.values()) {
      if (d.due > now) break;
      due.push(d);
    }
    for (const d of due) this.departures.delete(d.socketId);
    this.scheduleDepartures();
    if (due.length === 0) return;
    try {
      const leases = due.map(({ user, socketId }) => ({ userId: user.id, socketId }));
      const gone = new Set(await this.store.releaseMany(leases, now));
      for (const { user } of due) if (gone.delete(user.id)) this.announcer.announce(user, false);
    } catch (err) {
      // The leases lapse anyway, and a sweep reports the users.
      this.logger.warn({ err, sockets: due.length }, 'presence release failed');
    }
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((err: unknown) => this.logger.warn({ err }, 'presence maintenance failed'))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }
}
