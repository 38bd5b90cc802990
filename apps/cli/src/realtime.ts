import { io, type Socket } from 'socket.io-client';
import {
  CLIENT_EVENTS,
  SERVER_EVENTS,
  type ClientToServerEvents,
  type ServerToClientEvents,
} from '@chat/contracts';
import { ChatError, errorFromAck } from './errors';
import type { Session } from './session';

export type ChatSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type CommandName = keyof ClientToServerEvents;
export type CommandPayload<E extends CommandName> = Parameters<ClientToServerEvents[E]>[0];
export type CommandAck<E extends CommandName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
export type CommandResult<E extends CommandName> = Extract<CommandAck<E>, { ok: true }>;
/** The commands as `socket.timeout(ms)` sends them: the ack callback gets the timeout error first. */
type TimedCommands = {
  [E in CommandName]: (payload: CommandPayload<E>, ack: (err: Error, ack: CommandAck<E>) => void) => void;
};

/** The pushes the terminal shows; picked by name, so a renamed event breaks this build. */
export type Pushes = Pick<
  ServerToClientEvents,
  | 'message:new'
  | 'message:updated'
  | 'message:deleted'
  | 'typing'
  | 'presence'
  | 'channel:joined'
  | 'channel:left'
  | 'channel:updated'
  | 'member:joined'
  | 'member:left'
  | 'session:ended'
>;

export interface RealtimeHandlers {
  /** Every successful connection; `again` after the first, when the caller must catch up. */
  connected(again: boolean): void;
  /** Lost the connection (socket.io retries, or we do after a refresh). */
  disconnected(reason: string): void;
  /** The server refused the handshake for a reason other than an expired token. */
  refused(message: string): void;
  pushes: Pushes;
}

const COMMAND_TIMEOUT_MS = 10_000;

/**
 * The socket.io connection, set up like the web client's: the handshake's `auth` is a function, so
 * every (re)connection presents the newest access token; a refused handshake (`connect_error`
 * UNAUTHORIZED) and the server ending the session at token expiry (`session:ended`, then a
 * server-side disconnect, after which socket.io does not reconnect by itself) are both answered
 * with a token refresh and a new connection. Transport failures are retried by socket.io.
 */
export class Realtime {
  private readonly socket: ChatSocket;
  private everConnected = false;
  private stopped = false;
  private authFailures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The token the current connection attempt presented. */
  private handshakeToken = '';

  constructor(
    url: string,
    private readonly session: Session,
    private readonly handlers: RealtimeHandlers,
  ) {
    const base = new URL(url);
    this.socket = io(base.origin, {
      path: `${base.pathname.replace(/\/+$/, '')}/socket.io/`,
      autoConnect: false,
      // WebSocket only: a terminal has no use for the long-polling fallback, which needs sticky routing.
      transports: ['websocket'],
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      randomizationFactor: 0.3,
      timeout: 10_000,
      auth: (cb) => {
        const send = (token: string) => {
          this.handshakeToken = token;
          cb({ token });
        };
        this.session.getAccessToken().then(send, () => send(this.session.currentToken));
      },
    });
    this.listen();
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  start(): void {
    this.socket.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket.removeAllListeners();
    this.socket.disconnect();
  }

  /** Sends one command and settles with its successful ack, or rejects with a ChatError. */
  call<E extends CommandName>(event: E, payload: CommandPayload<E>): Promise<CommandResult<E>> {
    if (!this.socket.connected) return Promise.reject(new ChatError('UNAVAILABLE', 'Not connected'));
    return new Promise((resolve, reject) => {
      const onAck = (err: Error | null, ack: CommandAck<E> | undefined) => {
        if (err) reject(new ChatError('UNAVAILABLE', 'The server did not answer in time'));
        else if (ack?.ok === true) resolve(ack as CommandResult<E>);
        else reject(errorFromAck(ack && ack.ok === false ? ack.error : undefined));
      };
      const timed: Socket<ServerToClientEvents, TimedCommands> = this.socket.timeout(COMMAND_TIMEOUT_MS);
      // socket.io types emit's arguments with a conditional type TypeScript leaves unresolved for a
      // generic event; both sides come from the contract's map, so a mismatch still fails to compile.
      timed.emit(event, ...([payload, onAck] as Parameters<TimedCommands[E]>));
    });
  }

  /** Fire and forget: a lost typing notice is harmless and expires on its own. */
  typing(channelId: string, typing: boolean): void {
    if (!this.socket.connected) return;
    this.socket.emit(CLIENT_EVENTS.typing, { channelId, typing }, () => undefined);
  }

  private listen(): void {
    const socket = this.socket;
    socket.on('connect', () => {
      const again = this.everConnected;
      this.everConnected = true;
      this.authFailures = 0;
      this.handlers.connected(again);
    });
    socket.on('disconnect', (reason) => {
      // Sends are retried by the caller with their clientId; socket.io must not replay them too.
      socket.sendBuffer = [];
      if (this.stopped) return;
      this.handlers.disconnected(reason);
      // The server ended the session (token expired, or banned): refresh, then connect again.
      if (reason === 'io server disconnect') this.later(0, () => this.refreshAndConnect());
    });
    socket.on('connect_error', (err) => {
      if (this.stopped) return;
      if (err.message === 'UNAUTHORIZED') {
        this.authFailures++;
        // Refreshed and still refused: something is off (clock skew, key rotation); slow down.
        this.later(this.authFailures > 3 ? 10_000 : 0, () => this.refreshAndConnect());
        return;
      }
      // socket.io retries transport failures itself; a refusal by the server it does not.
      if (!socket.active) {
        this.handlers.refused(err.message);
        this.later(2_000, () => this.connectIfIdle());
      }
    });

    // Spelled out one by one so a renamed event in @chat/contracts breaks this build.
    const p = this.handlers.pushes;
    socket.on(SERVER_EVENTS.messageNew, (m) => p['message:new'](m));
    socket.on(SERVER_EVENTS.messageUpdated, (m) => p['message:updated'](m));
    socket.on(SERVER_EVENTS.messageDeleted, (e) => p['message:deleted'](e));
    socket.on(SERVER_EVENTS.typing, (e) => p.typing(e));
    socket.on(SERVER_EVENTS.presence, (e) => p.presence(e));
    socket.on(SERVER_EVENTS.channelJoined, (c) => p['channel:joined'](c));
    socket.on(SERVER_EVENTS.channelLeft, (e) => p['channel:left'](e));
    socket.on(SERVER_EVENTS.channelUpdated, (c) => p['channel:updated'](c));
    socket.on(SERVER_EVENTS.memberJoined, (e) => p['member:joined'](e));
    socket.on(SERVER_EVENTS.memberLeft, (e) => p['member:left'](e));
    socket.on(SERVER_EVENTS.sessionEnded, (e) => {
      p['session:ended'](e);
      // Start the refresh now, so the new connection is ready as soon as the old one is gone.
      this.session.tokenAfterUnauthorized(this.handshakeToken).catch(() => undefined);
    });
  }

  private refreshAndConnect(): void {
    // Refreshes only if nobody has since the refused handshake (session:ended may have already).
    this.session.tokenAfterUnauthorized(this.handshakeToken).then(
      () => this.connectIfIdle(),
      (err: unknown) => {
        // UNAUTHORIZED: the login is over; the session reports it (onEnded) and the CLI exits.
        if (!(err instanceof ChatError && err.code === 'UNAUTHORIZED')) {
          this.later(5_000, () => this.refreshAndConnect());
        }
      },
    );
  }

  private connectIfIdle(): void {
    if (!this.stopped && !this.socket.connected && !this.socket.active) this.socket.connect();
  }

  private later(ms: number, fn: () => void): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) fn();
    }, ms);
  }
}
