import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { PushKey } from '@chat/contracts';
import { PushSubscriptionDto, PushUnsubscribeDto } from '@chat/contracts/dto';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../../rate-limit/user-rate-limit.guard';
import { PushKeyResponse } from './dto/push-key.response';
import { PushService } from './push.service';

@ApiTags('push')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('push')
export class PushController {
  constructor(private readonly push: PushService) {}

  @Get('key')
  @ApiOperation({ summary: 'The VAPID public key to subscribe with (404 when Web Push is off)' })
  @ApiOkResponse({ type: PushKeyResponse })
  @ApiNotFoundResponse({ description: 'Web Push is not configured' })
  key(): PushKey {
    return this.push.publicKey();
  }

  @Post('subscriptions')
  @HttpCode(201)
  @ApiOperation({
    summary: "Register this browser's push subscription for the caller (at most 20 kept, oldest dropped)",
  })
  @ApiCreatedResponse()
  subscribe(@CurrentUser() user: Principal, @Body() dto: PushSubscriptionDto): Promise<void> {
    return this.push.subscribe(user, dto);
  }

  @Delete('subscriptions')
  @HttpCode(204)
  @ApiOperation({ summary: "Remove one of the caller's push subscriptions (204 also when there is none)" })
  @ApiNoContentResponse()
  unsubscribe(@CurrentUser() user: Principal, @Body() dto: PushUnsubscribeDto): Promise<void> {
    return this.push.unsubscribe(user, dto.endpoint);
  }
}
