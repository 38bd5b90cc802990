import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayRedis } from '../infra/gateway-redis';
import { channelIdsOf } from '../infra/rooms';
import { SocketHub } from '../infra/socket-hub';
import { MemoryLeaseStore, RedisLeaseStore, type Lease, type LeaseStore } from './lease-store';
import { PresenceAnnouncer, type PresenceUser } from './presence-announcer';

/** A draining replica's sockets keep their presence this long, so users who reconnect elsewhere do not flicker offline. */
const DRAIN_LEASE_GRACE_MS = 10_000;
const SWEEP_BATCH = 500;

interface Departure {
  user: PresenceUser;
  socketId: string;
  channelIds: string[];
  due: number;
}

/**
 * Who is online, across replicas and tabs, and telling the users who share a channel when that
 * changes. Leases live in Redis (or memory in single-process mode); this replica renews the leases
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

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly hub: SocketHub,
    redis: GatewayRedis,
  ) {
    this.store = redis.client ? new RedisLeaseStore(redis.client, redis.prefix) : new MemoryLeaseStore();
    this.announcer = new PresenceAnnouncer(hub);
  }

  onApplicationBootstrap(): void {
    const { leaseMs, sweepMs } = this.config.presence;
    this.every(Math.max(100, Math.floor(leaseMs / 3)), () => this.renewLocalLeases());
    this.every(sweepMs, () => this.sweep());
  }

  onApplicationShutdown(): void {
    for (const t of this.timers) clearInterval(t);
    // Their leases lapse on their own, and some replica's sweep reports them.
    clearTimeout(this.departureTimer);
    this.departures.clear();
  }

  /** A socket of `user` connected (and joined the rooms of `channelIds`). */
  async connected(user: PresenceUser, socketId: string, channelIds: string[]): Promise<void> {
    const now = Date.now();
    const cameOnline = await this.store.acquire(
      { userId: user.id, socketId },
      now + this.config.presence.leaseMs,
      now,
    );
    if (cameOnline) this.announce(user, channelIds, true);
  }

  /**
   * A socket of `user` is gone; `channelIds` are the rooms it was in. Its lease is kept for
   * PRESENCE_OFFLINE_GRACE_MS, then released: the user goes offline then unless a socket of theirs
   * came back (on any replica), so a blip or a mass reconnect announces nothing.
   */
  async disconnected(user: PresenceUser, socketId: string, channelIds: string[]): Promise<void> {
    const due = Date.now() + this.config.presence.offlineGraceMs;
    await this.store.shorten({ userId: user.id, socketId }, due);
    this.departures.set(socketId, { user, socketId, channelIds, due });
    this.scheduleDepartures();
  }

  /** A socket closed because this replica is draining: its user will likely reconnect elsewhere. */
  async drained(userId: string, socketId: string): Promise<void> {
    await this.store.shorten({ userId, socketId }, Date.now() + DRAIN_LEASE_GRACE_MS);
  }

  /** Which of `userIds` are online anywhere. */
  online(userIds: string[]): Promise<Set<string>> {
    return this.store.online(userIds, Date.now());
  }

  /** Renews this replica's leases; users whose lease had been swept (a long stall) come back online. */
  async renewLocalLeases(): Promise<void> {
    const sockets = this.hub.localSockets().filter((s) => s.data.user);
    if (sockets.length === 0) return;
    const now = Date.now();
    const leases: Lease[] = sockets.map((s) => ({ userId: s.data.user.id, socketId: s.id }));
    const came = new Set(await this.store.acquireMany(leases, now + this.config.presence.leaseMs, now));
    for (const socket of sockets) {
      if (!came.delete(socket.data.user.id)) continue;
      this.announce(socket.data.user, channelIdsOf(socket.rooms), true);
    }
  }

  /** Drops lapsed leases (of any replica) and reports the users that left offline. */
  async sweep(): Promise<void> {
    const lapsed = await this.store.lapsed(Date.now(), SWEEP_BATCH);
    for (const lease of lapsed) {
      if (!(await this.store.release(lease, Date.now()))) continue;
      const rows: { username: string; channel_ids: string[] | null }[] = await this.db.query(
        `SELECT u.username, array_agg(m.channel_id) FILTER (WHERE m.channel_id IS NOT NULL) AS channel_ids
           FROM users u LEFT JOIN memberships m ON m.user_id = u.id
          WHERE u.id = $1 GROUP BY u.username`,
        [lease.userId],
      );
      if (rows[0])
        this.announce({ id: lease.userId, username: rows[0].username }, rows[0].channel_ids ?? [], false);
    }
  }

  private announce(user: PresenceUser, channelIds: string[], online: boolean): void {
    this.announcer.announce(user, channelIds, online);
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
    await Promise.all(
      due.map(async ({ user, socketId, channelIds }) => {
        try {
          if (await this.store.release({ userId: user.id, socketId }, now))
            this.announce(user, channelIds, false);
        } catch (err) {
          // The lease lapses anyway, and a sweep reports the user.
          this.logger.warn({ err, userId: user.id }, 'presence release failed');
        }
      }),
    );
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
