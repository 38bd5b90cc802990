import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Channel } from '@chat/contracts';
import { UserIdDto } from '@chat/contracts/dto';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { ChannelsService } from './channels.service';
import { ChannelResponse } from './dto/channel.response';

@ApiTags('channels')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('dms')
export class DmsController {
  constructor(private readonly channels: ChannelsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'The direct-message channel with a user, created on first use (same one every time)',
  })
  @ApiOkResponse({ type: ChannelResponse })
  open(@CurrentUser() user: Principal, @Body() dto: UserIdDto): Promise<Channel> {
    return this.channels.openDm(user, dto.userId);
  }
}
