import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../../rate-limit/user-rate-limit.guard';
import type { WebhookDelivery } from '@chat/contracts';
import { DeliveriesQueryDto, WebhookDeliveriesResponse } from './dto/deliveries.dto';
import { OutgoingWebhooksService } from './outgoing-webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('channels/:id/webhooks/:webhookId/deliveries')
export class OutgoingWebhooksController {
  constructor(private readonly webhooks: OutgoingWebhooksService) {}

  @Get()
  @ApiOperation({
    summary:
      "An outgoing webhook's recent deliveries and failures, newest first (channel owner, moderators, admins; at most 100)",
  })
  @ApiOkResponse({ type: WebhookDeliveriesResponse })
  deliveries(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @IdParam('webhookId') webhookId: string,
    @Query() query: DeliveriesQueryDto,
  ): Promise<{ deliveries: WebhookDelivery[] }> {
    return this.webhooks.deliveries(user, channelId, webhookId, query.limit);
  }
}
