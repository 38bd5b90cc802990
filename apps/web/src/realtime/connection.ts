import { io, type Socket } from 'socket.io-client';
import {
  CLIENT_EVENTS,
  SERVER_EVENTS,
  type ClientToServerEvents,
  type Message,
  type SendMessagePayload,
  type ServerToClientEvents,
  type SyncChannelResult,
} from '@chat/contracts';
import { ApiError, errorFromAck } from '../api/errors';
import type { TokenManager } from '../api/tokens';
import type { ChatEvents, ConnectionState, RealtimePort } from '../state/ports';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A client command of the contract, and what it sends and acknowledges with. */
type Command = keyof ClientToServerEvents;
export type CommandPayload<E extends Command> = Parameters<ClientToServerEvents[E]>[0];
export type CommandAck<E extends Command> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
/** The acknowledgement of a command that succeeded (`{ ok: true, ...result }`). */
export type CommandResult<E extends Command> = Extract<CommandAck<E>, { ok: true }>;
/** Narrows an ack to its success case (the contract types every ack as `Ack<T>`). */
const succeeded = <A extends { ok: boolean }>(ack: A | undefined): ack is Extract<A, { ok: true }> =>
  ack?.ok === true;
/** The commands as `socket.timeout(ms)` sends them: the ack callback gets the timeout error first. */
type TimedCommands = {
  [E in Command]: (payload: CommandPayload<E>, ack: (err: Error, ack: CommandAck<E>) => void) => void;
};

export interface RealtimeHandlers {
  onState(state: ConnectionState): void;
  /** Every successful (re)connection; the store catches up from here. */
  onConnected(reconnect: boolean): void;
  events: ChatEvents;
}

const COMMAND_TIMEOUT_MS = 10_000;
/** Failed attempts (with the browser online) before we stop saying "reconnecting" and say "offline". */
const ATTEMPTS_BEFORE_OFFLINE = 4;

/**
 * The socket.io connection: handshake with the current access token, honest connection state,
 * and recovery from the two ways the server ends a session — a refused handshake
 * (`connect_error` "UNAUTHORIZED") and a server-side disconnect when the token expires. Both are
 * answered with a token refresh and a new connection; only a failed refresh ends the login.
 */
export class Realtime implements RealtimePort {
  private socket: ChatSocket | null = null;
  private everConnected = false;
  private failedAttempts = 0;
  private authFailures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private state: ConnectionState = 'connecting';
  private stopped = false;
  /** The access token the current connection was opened with. */
  private handshakeToken: string | null = null;
  private readonly onOnline = () => this.browserOnline();
  private readonly onOffline = () => this.setState('offline');

  constructor(
    private readonly origin: string,
    private readonly tokens: TokenManager,
    private readonly handlers: RealtimeHandlers,
  ) {}

  get connected(): boolean {
    return !!this.socket?.connected;
  }

  start(): void {
    this.stopped = false;
    const socket: ChatSocket = io(this.origin, {
      path: '/socket.io/',
      autoConnect: false,
      reconnectionDelay: 500,
      reconnectionDelayMax: 8_000,
      randomizationFactor: 0.3,
      // A fresh token on every attempt, so reconnections after a refresh carry the new one.
      auth: (cb) => {
        const send = (token: string) => {
          this.handshakeToken = token;
          cb({ token });
        };
        this.tokens.getAccessToken().then(
          send,
          // Refresh failed on the network: try the old token; the server's answer decides.
          () => send(this.tokens.current?.accessToken ?? ''),
        );
      },
    });
    this.socket = socket;

    socket.on('connect', () => {
      const reconnect = this.everConnected;
      this.everConnected = true;
      this.failedAttempts = 0;
      this.authFailures = 0;
      this.setState('live');
      this.handlers.onConnected(reconnect);
    });
    socket.on('disconnect', (reason) => {
      // Our command queue (the outbox) owns retries: do not let socket.io replay stale commands.
      socket.sendBuffer = [];
      if (this.stopped) return;
      this.setState(this.lostState());
      // The server ended the session (token expired, or banned): refresh, then connect again.
      // Routine on every expiry, so it does not count towards the back-off.
      if (reason === 'io server disconnect') this.later(0, () => this.refreshAndConnect());
    });
    socket.on('connect_error', (err) => {
      if (this.stopped) return;
      this.failedAttempts++;
      this.setState(this.lostState());
      if (err.message === 'UNAUTHORIZED') this.reauthenticate();
      else if (!socket.active) this.later(2_000, () => this.connectIfIdle());
    });

    // Spelled out one by one so a renamed event in @chat/contracts breaks this build.
    const ev = this.handlers.events;
    socket.on(SERVER_EVENTS.messageNew, (m) => ev['message:new'](m));
    socket.on(SERVER_EVENTS.messageUpdated, (m) => ev['message:updated'](m));
    socket.on(SERVER_EVENTS.messageDeleted, (e) => ev['message:deleted'](e));
    socket.on(SERVER_EVENTS.typing, (e) => ev.typing(e));
    socket.on(SERVER_EVENTS.presence, (e) => ev.presence(e));
    socket.on(SERVER_EVENTS.channelJoined, (c) => ev['channel:joined'](c));
    socket.on(SERVER_EVENTS.channelLeft, (e) => ev['channel:left'](e));
    socket.on(SERVER_EVENTS.channelUpdated, (c) => ev['channel:updated'](c));
    socket.on(SERVER_EVENTS.memberJoined, (e) => ev['member:joined'](e));
    socket.on(SERVER_EVENTS.memberLeft, (e) => ev['member:left'](e));
    socket.on(SERVER_EVENTS.messageReactions, (e) => ev['message:reactions'](e));
    socket.on(SERVER_EVENTS.threadUpdated, (e) => ev['thread:updated'](e));
    socket.on(SERVER_EVENTS.notification, (n) => ev.notification(n));
    // The token expired (or the user was banned) and the server is about to close the socket:
    // start the refresh now, so the new connection is ready as soon as the old one is gone.
    socket.on(SERVER_EVENTS.sessionEnded, () => {
      this.tokens.tokenAfterUnauthorized(this.handshakeToken ?? '').catch(() => undefined);
    });

    if (typeof window !== 'undefined') {
      window.addEventListener('online', this.onOnline);
      window.addEventListener('offline', this.onOffline);
    }
    this.setState(this.browserIsOffline() ? 'offline' : 'connecting');
    socket.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.onOnline);
      window.removeEventListener('offline', this.onOffline);
    }
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
  }

  // --- commands (RealtimePort) ---

  async send(payload: SendMessagePayload): Promise<Message> {
    return (await this.call(CLIENT_EVENTS.messageSend, payload)).message;
  }

  async edit(messageId: string, body: string): Promise<Message> {
    return (await this.call(CLIENT_EVENTS.messageEdit, { messageId, body })).message;
  }

  async remove(messageId: string): Promise<void> {
    await this.call(CLIENT_EVENTS.messageDelete, { messageId });
  }

  async sync(
    channelId: string,
    afterSeq: number,
    limit?: number,
    changedSince?: string,
  ): Promise<SyncChannelResult> {
    return this.call(CLIENT_EVENTS.channelSync, {
      channelId,
      afterSeq,
      ...(limit ? { limit } : {}),
      ...(changedSince ? { changedSince } : {}),
    });
  }

  async read(channelId: string, seq: number): Promise<void> {
    await this.call(CLIENT_EVENTS.channelRead, { channelId, seq });
  }

  async readThread(threadId: string, seq: number): Promise<void> {
    await this.call(CLIENT_EVENTS.threadRead, { threadId, seq });
  }

  async react(messageId: string, emoji: string, add: boolean): Promise<void> {
    await this.call(add ? CLIENT_EVENTS.reactionAdd : CLIENT_EVENTS.reactionRemove, { messageId, emoji });
  }

  typing(channelId: string, typing: boolean): void {
    if (!this.socket?.connected) return;
    // Fire and forget: a lost typing notice is harmless and expires on its own.
    this.socket.emit(CLIENT_EVENTS.typing, { channelId, typing }, () => undefined);
  }

  async followPresence(userIds: string[]): Promise<string[]> {
    return (await this.call(CLIENT_EVENTS.presenceSubscribe, { userIds })).online;
  }

  // --- internals ---

  /**
   * Sends one command and settles with its acknowledgement: the payload and the ack are the ones
   * the contract's ClientToServerEvents gives that event, so a changed contract breaks the callers
   * above at compile time. Ack and timeout handling live here once.
   */
  private call<E extends Command>(event: E, payload: CommandPayload<E>): Promise<CommandResult<E>> {
    const socket = this.socket;
    if (!socket?.connected) return Promise.reject(new ApiError('UNAVAILABLE', 'Not connected'));
    return new Promise((resolve, reject) => {
      const onAck = (err: Error | null, ack: CommandAck<E> | undefined) => {
        if (err) reject(new ApiError('UNAVAILABLE', 'The server did not answer in time'));
        else if (succeeded(ack)) resolve(ack);
        else reject(errorFromAck(ack && !ack.ok ? ack.error : undefined));
      };
      const timed: Socket<ServerToClientEvents, TimedCommands> = socket.timeout(COMMAND_TIMEOUT_MS);
      // socket.io types emit's arguments with a conditional type (Parameters of the event's
      // listener) that TypeScript leaves unresolved for a generic event, so the tuple is asserted
      // to it; both sides come from the contract's map, and a mismatch still fails to compile.
      timed.emit(event, ...([payload, onAck] as Parameters<TimedCommands[E]>));
    });
  }

  private browserIsOffline(): boolean {
    return typeof navigator !== 'undefined' && navigator.onLine === false;
  }

  private lostState(): ConnectionState {
    if (this.browserIsOffline() || this.failedAttempts >= ATTEMPTS_BEFORE_OFFLINE) return 'offline';
    return this.everConnected ? 'reconnecting' : 'connecting';
  }

  private setState(state: ConnectionState): void {
    if (state === 'offline' && this.socket?.connected && !this.browserIsOffline()) return;
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState(state);
  }

  private browserOnline(): void {
    if (this.stopped || !this.socket) return;
    if (this.socket.connected) return this.setState('live');
    this.failedAttempts = 0;
    this.setState(this.everConnected ? 'reconnecting' : 'connecting');
    // Skip the rest of socket.io's back-off: the network just came back.
    this.socket.disconnect();
    this.socket.connect();
  }

  private reauthenticate(): void {
    if (this.stopped) return;
    this.authFailures++;
    // Refreshed and still refused: something is off (clock skew, key rotation); slow down.
    this.later(this.authFailures > 3 ? 10_000 : 0, () => this.refreshAndConnect());
  }

  private refreshAndConnect(): void {
    // Refreshes only if nobody has since the refused handshake (session:ended may have already).
    this.tokens.tokenAfterUnauthorized(this.handshakeToken ?? '').then(
      () => this.connectIfIdle(),
      (err: unknown) => {
        // UNAUTHORIZED: the login is over; the TokenManager dropped it and the app signs out.
        if (!(err instanceof ApiError && err.code === 'UNAUTHORIZED')) {
          this.later(5_000, () => this.refreshAndConnect());
        }
      },
    );
  }

  private connectIfIdle(): void {
    const s = this.socket;
    if (!this.stopped && s && !s.connected && !s.active) s.connect();
  }

  private later(ms: number, fn: () => void): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) fn();
    }, ms);
  }
}
