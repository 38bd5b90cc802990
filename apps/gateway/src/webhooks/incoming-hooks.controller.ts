import { Body, Controller, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Message } from '@chat/contracts';
import { IncomingWebhookMessageDto } from '@chat/contracts/dto';
import { MessageResponse } from '../messages/dto/message.response';
import { IncomingHooksService } from './incoming-hooks.service';
import { JsonBodyGuard } from './json-body.guard';

@ApiTags('webhooks')
@Controller('hooks')
export class IncomingHooksController {
  constructor(private readonly hooks: IncomingHooksService) {}

  @Post(':id/:secret')
  @UseGuards(JsonBodyGuard)
  @ApiOperation({
    summary:
      "Post { text } to a channel as its incoming webhook (no token: the URL's secret is the credential; 60 a minute)",
  })
  @ApiCreatedResponse({ type: MessageResponse })
  post(
    // Not IdParam: a malformed id answers exactly as an unknown one or a wrong secret does.
    @Param('id') id: string,
    @Param('secret') secret: string,
    @Body() dto: IncomingWebhookMessageDto,
  ): Promise<Message> {
    return this.hooks.post(id, secret, dto.text);
  }
}
