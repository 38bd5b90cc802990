import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { InfraModule } from '../infra/infra.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { PresenceModule } from '../presence/presence.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { WebhookEventsModule } from '../webhooks/outgoing/webhook-events.module';
import { ChannelWriter } from './channel-writer';
import { MentionResolver } from './mention-resolver';
import { MessageAccess } from './message-access';
import { MessageFanout } from './message-fanout';
import { MessageReader } from './message.reader';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';
import { PinsController } from './pins.controller';
import { PinsRepository } from './pins.repository';
import { PinsService } from './pins.service';
import { ReactionsController } from './reactions.controller';
import { ReactionsRepository } from './reactions.repository';
import { ReactionsService } from './reactions.service';
import { MessageGate } from './message-gate';
import { MessageUpdates } from './message-updates';
import { ThreadsController } from './threads.controller';
import { ThreadsService } from './threads.service';

/**
 * Messages: sending, history, catch-up, edits, deletes, search, reactions, pins, and their ordered
 * fan-out.
 */
@Module({
  imports: [
    InfraModule,
    ChannelsModule,
    PresenceModule,
    RateLimitModule,
    NotificationsModule,
    WebhookEventsModule,
  ],
  controllers: [MessagesController, ReactionsController, PinsController, ThreadsController],
  providers: [
    MessagesService,
    MessagesRepository,
    MessageReader,
    MessageFanout,
    ChannelWriter,
    MessageAccess,
    ReactionsService,
    ReactionsRepository,
    PinsService,
    PinsRepository,
    ThreadsService,
    MentionResolver,
    MessageGate,
    MessageUpdates,
  ],
  exports: [MessagesService, ReactionsService, ThreadsService, MessageReader],
})
export class MessagesModule {}
