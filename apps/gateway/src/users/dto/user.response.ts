import { ApiProperty } from '@nestjs/swagger';
import type { Role, User } from '@chat/contracts';

export class UserResponse implements User {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['admin', 'moderator', 'member'], isArray: true }) roles: Role[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ description: 'A bot account' }) bot: boolean;
}
