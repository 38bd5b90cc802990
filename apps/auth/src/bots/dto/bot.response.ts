import { ApiProperty } from '@nestjs/swagger';
import type { BotCreated, Role, User } from '@chat/contracts';

export class BotUserResponse implements User {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['admin', 'moderator', 'member'], isArray: true }) roles: Role[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: 'Always true here' }) bot: boolean;
}

export class BotCreatedResponse implements BotCreated {
  @ApiProperty({ type: BotUserResponse }) user: BotUserResponse;
  @ApiProperty({
    example: 'chatbot_3q2-7wYd…',
    description:
      'Shown once (stored hashed): send it as `Authorization: Bearer <token>` or the socket `auth.token`',
  })
  token: string;
}
