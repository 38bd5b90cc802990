import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { LIMITS } from '@chat/contracts';
import { GatewayRedis } from '../infra/gateway-redis';
import { SocketHub } from '../infra/socket-hub';
import type { PresenceUser } from './presence-announcer';
import { PresenceErrors } from './presence.errors';
import { MemoryTypingStore, RedisTypingStore, type TypingStore } from './typing-store';

/**
 * The shared state outlives the local timer, so the timer (which reports the lapse) always finds
 * its own token; if this replica dies, the state simply expires and clients' own timeout clears it.
 */
const STATE_MARGIN_MS = 2000;
/**
 * Typists shown at once per channel (docs/socket-protocol.md "Typing"): every transition is a
 * broadcast to the whole channel, so in a 10,000-member channel they must stay few. Five is more
 * than any typing line shows by name; in a channel of six members or fewer it never applies.
 */
export const TYPING_MAX_SHOWN = 5;

interface LocalTyping {
  token: string;
  socketId: string;
  timer: NodeJS.Timeout;
  user: PresenceUser;
  channelId: string;
}

/**
 * Typing indicators. Only transitions are broadcast (renewals are silent), never to the typist's
 * own sockets, and a state not renewed within 5 s lapses with an explicit `typing: false`. At most
 * TYPING_MAX_SHOWN typists per channel are shown; the others are shown when they renew after a
 * slot frees up.
 */
@Injectable()
export class TypingService implements OnApplicationShutdown {
  private readonly logger = new Logger(TypingService.name);
  private readonly store: TypingStore;
  private readonly local = new Map<string, LocalTyping>();
  private readonly replicaTag = randomBytes(6).toString('hex');
  private counter = 0;

  constructor(
    private readonly hub: SocketHub,
    private readonly redis: GatewayRedis,
  ) {
    this.store = redis.client ? new RedisTypingStore(redis.client, redis.prefix) : new MemoryTypingStore();
  }

  /** `typing: true` (re)starts the 5-second window; `false` ends it now. */
  async set(user: PresenceUser, channelId: string, typing: boolean, socketId: string): Promise<void> {
    if (!typing) return this.stop(user, channelId);
    if (!this.redis.ready) throw PresenceErrors.typingUnavailable();
    const key = `${channelId}:${user.id}`;
    const token = `${this.replicaTag}:${++this.counter}`;
    this.cancelLocal(key);
    const timer = setTimeout(() => void this.lapse(key, token), LIMITS.typingExpiresMs);
    timer.unref();
    this.local.set(key, { token, socketId, timer, user, channelId });
    const claim = await this.store.claim(
      channelId,
      user.id,
      token,
      LIMITS.typingExpiresMs + STATE_MARGIN_MS,
      TYPING_MAX_SHOWN,
    );
    if (claim === 'started') this.broadcast(user, channelId, true);
  }

  /**
   * The user stopped typing (said so, or sent a message). Without Redis the shared state is left to
   * expire, and clients clear it on their own after 5 s.
   */
  async stop(user: PresenceUser, channelId: string): Promise<void> {
    const key = `${channelId}:${user.id}`;
    this.cancelLocal(key);
    if (!this.redis.ready) return;
    if (await this.store.clear(channelId, user.id)) this.broadcast(user, channelId, false);
  }

  /** The socket that was typing went away: its indicators end now rather than in 5 s. */
  async socketGone(socketId: string): Promise<void> {
    const mine = [...this.local.values()].filter((t) => t.socketId === socketId);
    await Promise.all(
      mine.map(async (t) => {
        const key = `${t.channelId}:${t.user.id}`;
        this.cancelLocal(key);
        if (await this.store.clearIfOwner(t.channelId, t.user.id, t.token))
          this.broadcast(t.user, t.channelId, false);
      }),
    );
  }

  onApplicationShutdown(): void {
    for (const t of this.local.values()) clearTimeout(t.timer);
    this.local.clear();
  }

  private async lapse(key: string, token: string): Promise<void> {
    const entry = this.local.get(key);
    if (!entry || entry.token !== token) return;
    this.local.delete(key);
    try {
      if (await this.store.clearIfOwner(entry.channelId, entry.user.id, token))
        this.broadcast(entry.user, entry.channelId, false);
    } catch (err) {
      this.logger.warn({ err }, 'typing lapse failed');
    }
  }

  private cancelLocal(key: string): void {
    const entry = this.local.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.local.delete(key);
  }

  private broadcast(user: PresenceUser, channelId: string, typing: boolean): void {
    this.hub.toChannelExceptUser(channelId, user.id, 'typing', {
      channelId,
      userId: user.id,
      username: user.username,
      typing,
    });
  }
}
