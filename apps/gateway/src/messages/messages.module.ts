import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { InfraModule } from '../infra/infra.module';
import { PresenceModule } from '../presence/presence.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { ChannelWriter } from './channel-writer';
import { MessageFanout } from './message-fanout';
import { MessageReader } from './message.reader';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

/** Messages: sending, history, catch-up, edits, deletes, search, and their ordered fan-out. */
@Module({
  imports: [InfraModule, ChannelsModule, PresenceModule, RateLimitModule],
  controllers: [MessagesController],
  providers: [MessagesService, MessagesRepository, MessageReader, MessageFanout, ChannelWriter],
  exports: [MessagesService],
})
export class MessagesModule {}
