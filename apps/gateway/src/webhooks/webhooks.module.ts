import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { InfraModule } from '../infra/infra.module';
import { MessagesModule } from '../messages/messages.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { IncomingHooksController } from './incoming-hooks.controller';
import { IncomingHooksService } from './incoming-hooks.service';
import { JsonBodyGuard } from './json-body.guard';
import { WebhooksController } from './webhooks.controller';
import { WebhooksRepository } from './webhooks.repository';
import { WebhooksOverviewController } from './webhooks-overview.controller';
import { WebhooksService } from './webhooks.service';

/**
 * Webhooks of channels: managing them, and posts to incoming ones' URLs. (Delivering outgoing
 * ones is outgoing/'s.)
 */
@Module({
  imports: [InfraModule, ChannelsModule, MessagesModule, RateLimitModule],
  controllers: [WebhooksController, IncomingHooksController, WebhooksOverviewController],
  providers: [WebhooksService, WebhooksRepository, IncomingHooksService, JsonBodyGuard],
  exports: [WebhooksService],
})
export class WebhooksModule {}
