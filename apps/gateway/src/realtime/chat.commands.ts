import { Injectable } from '@nestjs/common';
import type { ClassConstructor } from 'class-transformer';
import type { ClientToServerEvents } from '@chat/contracts';
import {
  DeleteMessageCommand,
  EditMessageCommand,
  PresenceSubscribeCommand,
  ReactionCommand,
  ReadChannelCommand,
  ReadThreadCommand,
  SendMessageCommand,
  SyncChannelCommand,
  TypingCommand,
} from '@chat/contracts/dto';
import type { Principal } from '@chat/security';
import { ChannelAccess } from '../channels/channel-access';
import { ChannelsService } from '../channels/channels.service';
import type { GatewaySocket } from '../infra/socket-hub';
import { MessagesService } from '../messages/messages.service';
import { ReactionsService } from '../messages/reactions.service';
import { ThreadsService } from '../messages/threads.service';
import { PresenceService } from '../presence/presence.service';
import { TypingService } from '../presence/typing.service';
import { SocketAuditContext } from './socket-audit-context';

/** What a command's successful acknowledgement carries besides `ok: true`. */
type AckBody<E extends keyof ClientToServerEvents> = Parameters<
  Parameters<ClientToServerEvents[E]>[1]
>[0] extends infer A
  ? A extends { ok: true }
    ? Omit<A, 'ok'>
    : never
  : never;

export interface CommandSpec<P extends object = object, R extends object = object> {
  /** The class-validator class the payload must satisfy (libs/contracts/dto). */
  payload: ClassConstructor<P>;
  run(user: Principal, payload: P, socket: GatewaySocket): Promise<R>;
  /**
   * Runs without waiting for the socket's set-up (channel rooms, presence lease), which it does not
   * touch: the `presence:subscribe` every client sends on connect is answered a round trip sooner.
   */
  early?: boolean;
}

export type CommandTable = { [E in keyof ClientToServerEvents]: CommandSpec<object, AckBody<E>> };

const command = <P extends object, R extends object>(
  payload: ClassConstructor<P>,
  run: (user: Principal, payload: P, socket: GatewaySocket) => Promise<R>,
): CommandSpec<P, R> => ({ payload, run });

/**
 * The socket commands of the contract, each one line into a service. Validation, authentication,
 * rate limits and acknowledgements are the dispatcher's; authorization is the services'. Ids arrive
 * lower-cased (the payload classes' @LowerCaseId).
 */
@Injectable()
export class ChatCommands {
  readonly table: CommandTable;

  constructor(
    messages: MessagesService,
    channels: ChannelsService,
    access: ChannelAccess,
    typing: TypingService,
    presence: PresenceService,
    reactions: ReactionsService,
    threads: ThreadsService,
    audit: SocketAuditContext,
  ) {
    this.table = {
      'message:send': command(SendMessageCommand, async (user, p) => ({
        message: await messages.send(user, p.channelId, p),
      })),
      'message:edit': command(EditMessageCommand, async (user, p) => ({
        message: await messages.edit(user, p.messageId, p.body),
      })),
      'message:delete': command(DeleteMessageCommand, async (user, p, socket) => {
        await messages.remove(user, p.messageId, audit.of(socket));
        return {};
      }),
      'channel:sync': command(SyncChannelCommand, (user, p) =>
        messages.sync(user, p.channelId, p.afterSeq, p.limit, p.changedSince),
      ),
      'channel:read': command(ReadChannelCommand, async (user, p) => {
        await channels.markRead(user, p.channelId, p.seq);
        return {};
      }),
      typing: command(TypingCommand, async (user, p, socket) => {
        await access.member(user, p.channelId);
        await typing.set(user, p.channelId, p.typing, socket.id);
        return {};
      }),
      'presence:subscribe': {
        ...command(PresenceSubscribeCommand, async (_user, p, socket) => ({
          online: await presence.subscribe(socket, p.userIds),
        })),
        early: true,
      },
      'thread:read': command(ReadThreadCommand, async (user, p) => {
        await threads.markRead(user, p.threadId, p.seq);
        return {};
      }),
      'reaction:add': command(ReactionCommand, async (user, p) => {
        await reactions.add(user, p.messageId, p.emoji);
        return {};
      }),
      'reaction:remove': command(ReactionCommand, async (user, p) => {
        await reactions.remove(user, p.messageId, p.emoji);
        return {};
      }),
    };
  }
}
