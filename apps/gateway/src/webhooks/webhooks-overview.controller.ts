import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { WebhookOverviewPage } from '@chat/contracts';
import { WebhookOverviewQueryDto } from '@chat/contracts/dto/admin-channels.dto';
import { JwtAuthGuard, Roles, RolesGuard } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { WebhookOverviewPageResponse } from './dto/webhook-overview.response';
import { WebhooksService } from './webhooks.service';

/**
 * `GET /hooks`: every channel's webhooks for admins. The same prefix as incoming deliveries
 * (`POST /hooks/:id/:secret`, no token), which this GET does not overlap.
 */
@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard, RolesGuard)
@Roles('admin')
@Controller('hooks')
export class WebhooksOverviewController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: "Every channel's webhooks, newest first, without secrets (admin only)" })
  @ApiOkResponse({ type: WebhookOverviewPageResponse })
  overview(@Query() query: WebhookOverviewQueryDto): Promise<WebhookOverviewPage> {
    return this.webhooks.overview(query.after, query.limit);
  }
}
