import { Module } from '@nestjs/common';
import { ChannelsModule } from '../../channels/channels.module';
import { MessagesModule } from '../../messages/messages.module';
import { RateLimitModule } from '../../rate-limit/rate-limit.module';
import { DeliveryWorker } from './delivery-worker';
import { OutgoingWebhooksController } from './outgoing-webhooks.controller';
import { OutgoingWebhooksRepository } from './outgoing-webhooks.repository';
import { OutgoingWebhooksService } from './outgoing-webhooks.service';

/**
 * Outgoing webhooks: the delivery worker every replica runs, and the delivery log. Creating one
 * (and its URL check, assertDeliverableUrl) belongs to the webhooks CRUD routes; queueing edits and
 * deletes to WebhookEventsModule.
 */
@Module({
  imports: [ChannelsModule, MessagesModule, RateLimitModule],
  controllers: [OutgoingWebhooksController],
  providers: [OutgoingWebhooksService, OutgoingWebhooksRepository, DeliveryWorker],
})
export class OutgoingWebhooksModule {}
