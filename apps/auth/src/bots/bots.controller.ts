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
import type { BotCreated, User } from '@chat/contracts';
import { CreateBotDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { auditContextOf, CurrentUser, JwtAuthGuard, Roles, RolesGuard, type Principal } from '@chat/security';
import { BotsService } from './bots.service';
import { BotCreatedResponse, BotUserResponse } from './dto/bot.response';

@ApiTags('bots')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
@Controller('auth/bots')
export class BotsController {
  constructor(private readonly bots: BotsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a bot account and its token, shown this once (admin only; audited)' })
  @ApiCreatedResponse({ type: BotCreatedResponse })
  create(
    @CurrentUser() actor: Principal,
    @Body() dto: CreateBotDto,
    @Req() req: Request,
  ): Promise<BotCreated> {
    return this.bots.create(actor, dto.username, auditContextOf(req));
  }

  @Get()
  @ApiOperation({ summary: 'Bot accounts that hold a token, oldest first (admin only)' })
  @ApiOkResponse({ type: [BotUserResponse] })
  list(): Promise<User[]> {
    return this.bots.list();
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Delete a bot: its token stops working and its sockets close on every gateway; its messages stay (audited)',
  })
  @ApiNoContentResponse()
  remove(@CurrentUser() actor: Principal, @IdParam('id') id: string, @Req() req: Request): Promise<void> {
    return this.bots.remove(actor, id, auditContextOf(req));
  }
}
