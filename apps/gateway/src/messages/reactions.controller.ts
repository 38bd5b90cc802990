import { Controller, Delete, HttpCode, Param, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { ReactionsService } from './reactions.service';

const EMOJI_PARAM = {
  name: 'emoji',
  description:
    'URL-encoded: one Unicode emoji (a single grapheme of at most 32 UTF-8 bytes) or a :short_name: of [a-z0-9_+-]{1,32}',
  example: '%F0%9F%91%8D',
};

@ApiTags('reactions')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('messages/:id/reactions')
export class ReactionsController {
  constructor(private readonly reactions: ReactionsService) {}

  @Put(':emoji')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'React to a message (members only; idempotent; at most 20 different emoji per message, else 409). Pushed as message:reactions',
  })
  @ApiParam(EMOJI_PARAM)
  @ApiNoContentResponse()
  add(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    return this.reactions.add(user, id, emoji);
  }

  @Delete(':emoji')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Take back your reaction (members only; idempotent). Pushed as message:reactions',
  })
  @ApiParam(EMOJI_PARAM)
  @ApiNoContentResponse()
  remove(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Param('emoji') emoji: string,
  ): Promise<void> {
    return this.reactions.remove(user, id, emoji);
  }
}
