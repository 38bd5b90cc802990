import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import type { Ack } from '@chat/contracts';
import { AppError, Lifecycle, mapError, validatePayload } from '@chat/platform';
import { UserStatusService, type Principal } from '@chat/security';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config';
import { GatewayMetrics } from '../infra/gateway-metrics';
import type { GatewaySocket } from '../infra/socket-hub';
import { RateLimits } from '../rate-limit/rate-limits.service';
import { ChatCommands, type CommandSpec } from './chat.commands';
import { RealtimeErrors } from './realtime.errors';
import { SocketSessions } from './socket-sessions';

type AckFn = (ack: Ack) => void;

/** A failure that also ends the socket's session, after the acknowledgement went out. */
class SessionOver extends AppError {}

/** One socket's commands, run one at a time in the order they arrived. */
class CommandQueue {
  private tail: Promise<void> = Promise.resolve();
  size = 0;

  push(task: () => Promise<void>): void {
    this.size++;
    // A failed task must not skip the ones behind it (tasks catch their own errors anyway).
    this.tail = this.tail.then(() => task().catch(() => undefined)).finally(() => this.size--);
  }
}

/**
 * Runs socket commands: every one is answered through its acknowledgement with the contract's
 * shape, whatever the client sent, and nothing thrown escapes into socket.io (where it would crash
 * the process). Commands of one socket run in order, so a user's messages get seqs in the order
 * they were sent, and one socket cannot take the whole database pool.
 */
@Injectable()
export class CommandDispatcher {
  private readonly logger = new Logger(CommandDispatcher.name);
  private inFlight = 0;
  private idle: (() => void)[] = [];

  /** The contract's commands by event name (a Map: "constructor" or "toString" are not commands). */
  private readonly specs: Map<string, CommandSpec>;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    commands: ChatCommands,
    private readonly sessions: SocketSessions,
    private readonly limits: RateLimits,
    private readonly status: UserStatusService,
    private readonly lifecycle: Lifecycle,
    private readonly metrics: GatewayMetrics,
  ) {
    this.specs = new Map(Object.entries(commands.table) as [string, CommandSpec][]);
  }

  /**
   * One listener per socket for every event, and a queue only once it sends a command: an idle
   * connection costs little.
   */
  bind(socket: GatewaySocket): void {
    let queue: CommandQueue | null = null;
    (socket as unknown as Socket).onAny((event: unknown, ...args: unknown[]) => {
      queue ??= new CommandQueue();
      this.receive(socket, queue, event, args);
    });
  }

  /**
   * Resolves when no command is queued or running, or after `timeoutMs`. Once the replica is
   * draining, queued commands are refused as they come up, so this waits for the running ones.
   */
  whenIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private receive(socket: GatewaySocket, queue: CommandQueue, event: unknown, args: unknown[]): void {
    const spec = typeof event === 'string' ? this.specs.get(event) : undefined;
    const command = spec ? (event as string) : 'unknown';
    try {
      const last = args[args.length - 1];
      if (typeof last !== 'function') {
        // Nobody to answer: dropped, but counted.
        this.metrics.commands.inc({ command, outcome: 'NO_ACK' });
        return;
      }
      const respond = this.responder(last as AckFn, command);
      if (!spec) return respond(failure(RealtimeErrors.unknownEvent(String(event))));
      if (this.lifecycle.draining) return respond(failure(RealtimeErrors.draining()));
      if (queue.size >= this.config.socket.maxPendingCommands)
        return respond(failure(RealtimeErrors.backlog()));
      this.inFlight++;
      const payloadArgs = args.slice(0, -1);
      queue.push(() => this.execute(socket, spec, payloadArgs, respond).finally(() => this.done()));
    } catch (err) {
      this.logger.error({ err, command }, 'command intake failed');
    }
  }

  private async execute(
    socket: GatewaySocket,
    spec: CommandSpec,
    args: unknown[],
    respond: (ack: Ack) => void,
  ) {
    let over: SessionOver | null = null;
    try {
      if (!socket.connected) return;
      this.refuseWhileDraining();
      if (!spec.early) await this.sessions.ready(socket);
      const user = await this.currentUser(socket);
      await this.limits.consumeCommand(user.id);
      if (args.length !== 1) throw RealtimeErrors.arity();
      const payload = validatePayload(spec.payload, args[0]);
      this.refuseWhileDraining();
      respond({ ok: true, ...(await spec.run(user, payload, socket)) });
    } catch (err) {
      if (err instanceof SessionOver) over = err;
      respond(failure(err, socket));
    }
    if (over) this.sessions.end(socket, over.message);
  }

  /**
   * A command that has not started its work when the drain begins is refused (retried elsewhere
   * with its clientId), so the drain waits only for the work already under way.
   */
  private refuseWhileDraining(): void {
    if (this.lifecycle.draining) throw RealtimeErrors.draining();
  }

  /** The socket's user with live roles; a banned user or an expired token ends the session. */
  private async currentUser(socket: GatewaySocket): Promise<Principal> {
    const { user } = socket.data;
    if (user.exp * 1000 <= Date.now())
      throw new SessionOver('UNAUTHORIZED', RealtimeErrors.tokenExpired().message);
    const status = await this.status.get(user.id);
    if (!status || status.banned)
      throw new SessionOver('UNAUTHORIZED', RealtimeErrors.sessionRevoked().message);
    return { ...user, username: status.username, roles: status.roles };
  }

  /** Answers at most once, records the outcome and latency, and never throws. */
  private responder(ack: AckFn, command: string): (body: Ack) => void {
    const stop = this.metrics.commandDuration.startTimer({ command });
    let answered = false;
    return (body) => {
      if (answered) return;
      answered = true;
      stop();
      this.metrics.commands.inc({ command, outcome: body.ok ? 'ok' : body.error.code });
      try {
        ack(body);
      } catch (err) {
        this.logger.warn({ err, command }, 'acknowledgement failed');
      }
    };
  }

  private done(): void {
    if (--this.inFlight > 0) return;
    const waiting = this.idle;
    this.idle = [];
    for (const resolve of waiting) resolve();
  }
}

const logger = new Logger(CommandDispatcher.name);

/** The ack for a failure. Internal ones say nothing but a reference the log has in full. */
function failure(err: unknown, socket?: GatewaySocket): Ack {
  const mapped = mapError(err);
  if (!mapped.internal) return { ok: false, error: { code: mapped.code, message: mapped.message } };
  const ref = randomUUID();
  logger.error(
    { err, ref, socketId: socket?.id, userId: socket?.data.user?.id },
    `${mapped.code} in socket command`,
  );
  return { ok: false, error: { code: mapped.code, message: `${mapped.message} (ref ${ref})` } };
}
