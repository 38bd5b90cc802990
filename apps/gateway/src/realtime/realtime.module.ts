import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { InfraModule } from '../infra/infra.module';
import { MessagesModule } from '../messages/messages.module';
import { PresenceModule } from '../presence/presence.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { ChatCommands } from './chat.commands';
import { CommandDispatcher } from './command-dispatcher';
import { SocketAuditContext } from './socket-audit-context';
import { SocketServer } from './socket-server';
import { SocketSessions } from './socket-sessions';

/** socket.io: handshakes, sessions, and the contract's commands on top of the other contexts. */
@Module({
  imports: [InfraModule, ChannelsModule, MessagesModule, PresenceModule, RateLimitModule, UsersModule],
  providers: [SocketServer, SocketSessions, CommandDispatcher, ChatCommands, SocketAuditContext],
})
export class RealtimeModule {}
