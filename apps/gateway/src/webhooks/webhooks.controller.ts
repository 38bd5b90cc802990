import { Body, Controller, Delete, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { Webhook } from '@chat/contracts';
import { CreateWebhookDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { WebhookResponse } from './dto/webhook.response';
import type { WebhookCreated } from '@chat/contracts';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('channels/:id/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary:
      'Add a webhook (owner, moderator or admin): incoming without url (its secret URL is in this answer only), outgoing with url and events (its signing secret is in this answer only)',
  })
  @ApiCreatedResponse({ type: WebhookResponse })
  create(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @Body() dto: CreateWebhookDto,
    @Req() req: Request,
  ): Promise<WebhookCreated> {
    return this.webhooks.create(user, channelId, dto, auditContextOf(req));
  }

  @Get()
  @ApiOperation({ summary: "The channel's webhooks, without their secrets (owner, moderator or admin)" })
  @ApiOkResponse({ type: [WebhookResponse] })
  list(@CurrentUser() user: Principal, @IdParam('id') channelId: string): Promise<Webhook[]> {
    return this.webhooks.list(user, channelId);
  }

  @Delete(':webhookId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook: its URL answers 404 at once; its messages stay' })
  @ApiNoContentResponse()
  remove(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @IdParam('webhookId') webhookId: string,
    @Req() req: Request,
  ): Promise<void> {
    return this.webhooks.remove(user, channelId, webhookId, auditContextOf(req));
  }
}
