import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Message } from '@chat/contracts';
import { PinMessageDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { MessageResponse } from './dto/message.response';
import { PinsService } from './pins.service';

@ApiTags('pins')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('channels/:id/pins')
export class PinsController {
  constructor(private readonly pins: PinsService) {}

  @Get()
  @ApiOperation({ summary: "The channel's pinned messages, newest pin first (members only; at most 100)" })
  @ApiOkResponse({ type: [MessageResponse] })
  list(@CurrentUser() user: Principal, @IdParam('id') channelId: string): Promise<Message[]> {
    return this.pins.list(user, channelId);
  }

  @Post()
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Pin a message of the channel (public: any member; private: owner, moderator, admin; DM: both members). Idempotent; at most 100 per channel (409). Pushed as message:updated',
  })
  @ApiNoContentResponse()
  pin(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @Body() dto: PinMessageDto,
  ): Promise<void> {
    return this.pins.pin(user, channelId, dto.messageId);
  }

  @Delete(':messageId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unpin a message (same rule as pinning; idempotent). Pushed as message:updated' })
  @ApiNoContentResponse()
  unpin(
    @CurrentUser() user: Principal,
    @IdParam('id') channelId: string,
    @IdParam('messageId') messageId: string,
  ): Promise<void> {
    return this.pins.unpin(user, channelId, messageId);
  }
}
