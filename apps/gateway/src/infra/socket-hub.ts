import { Injectable } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import type { DefaultEventsMap, EventNames, EventParams } from 'socket.io/dist/typed-events';
import type { ClientToServerEvents, ServerToClientEvents } from '@chat/contracts';
import type { Principal } from '@chat/security';
import { channelRoom, presenceRoom, userRoom } from './rooms';

/** What the gateway keeps on each socket. */
export interface SocketState {
  /** As authenticated at the handshake; commands re-read roles and ban state live. */
  user: Principal;
  /** The user's channels when the handshake was accepted, until joined as rooms on connection. */
  channelIds?: string[];
  /** A hash of the socket id: which slice of the periodic rounds visits it (socket-rounds.ts). */
  slot?: number;
}

export type GatewayIo = Server<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketState>;
export type GatewaySocket = Socket<ClientToServerEvents, ServerToClientEvents, DefaultEventsMap, SocketState>;
type ServerEvent = EventNames<ServerToClientEvents>;

/**
 * The one place services push real-time events from. Unless `local`, emits and room changes go
 * through the socket.io adapter, so they reach the right sockets on every replica; `local` is for
 * work every replica does anyway (reactions to events from the event bus).
 */
@Injectable()
export class SocketHub {
  private server: GatewayIo | null = null;

  /** Called once by the socket server when it starts. */
  attach(io: GatewayIo): void {
    this.server = io;
  }

  detach(): void {
    this.server = null;
  }

  get io(): GatewayIo | null {
    return this.server;
  }

  toChannel<E extends ServerEvent>(
    channelId: string,
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    this.server?.to(channelRoom(channelId)).emit(event, ...args);
  }

  /** To a channel's sockets except every socket of `userId` (typing is not echoed to its author). */
  toChannelExceptUser<E extends ServerEvent>(
    channelId: string,
    userId: string,
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    this.server
      ?.to(channelRoom(channelId))
      .except(userRoom(userId))
      .emit(event, ...args);
  }

  /** Once to each socket in any of the channels (socket.io de-duplicates across rooms). */
  toChannels<E extends ServerEvent>(
    channelIds: string[],
    exceptUserId: string | null,
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    if (!this.server || channelIds.length === 0) return;
    let op = this.server.to(channelIds.map(channelRoom));
    if (exceptUserId) op = op.except(userRoom(exceptUserId));
    op.emit(event, ...args);
  }

  /** To the sockets (on any replica) that follow `userId` with `presence:subscribe`. */
  toPresenceSubscribers<E extends ServerEvent>(
    userId: string,
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    this.server?.to(presenceRoom(userId)).emit(event, ...args);
  }

  toUsers<E extends ServerEvent>(
    userIds: string[],
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    if (!this.server || userIds.length === 0) return;
    this.server.to(userIds.map(userRoom)).emit(event, ...args);
  }

  /** This replica's sockets of a channel only. */
  toChannelLocal<E extends ServerEvent>(
    channelId: string,
    event: E,
    ...args: EventParams<ServerToClientEvents, E>
  ): void {
    this.server?.local.to(channelRoom(channelId)).emit(event, ...args);
  }

  /** Moves every socket of the user, on any replica, into the channel's room. */
  addToChannel(userId: string, channelId: string): void {
    this.server?.in(userRoom(userId)).socketsJoin(channelRoom(channelId));
  }

  /** Takes every socket of the user, on any replica, out of the channel's room. */
  removeFromChannel(userId: string, channelId: string): void {
    this.server?.in(userRoom(userId)).socketsLeave(channelRoom(channelId));
  }

  /** The user's sockets connected to this replica. */
  localSocketsOf(userId: string): GatewaySocket[] {
    const io = this.server;
    if (!io) return [];
    const ids = io.sockets.adapter.rooms.get(userRoom(userId));
    if (!ids) return [];
    const found: GatewaySocket[] = [];
    for (const id of ids) {
      const socket = io.sockets.sockets.get(id);
      if (socket) found.push(socket);
    }
    return found;
  }

  /** Every socket connected to this replica. */
  localSockets(): GatewaySocket[] {
    return [...this.eachLocalSocket()];
  }

  /** The same, without a copy: for a loop that does not change the sockets' set. */
  eachLocalSocket(): Iterable<GatewaySocket> {
    return this.server ? this.server.sockets.sockets.values() : [];
  }
}
