import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { User } from '@chat/contracts';
import { UserSearchQueryDto } from '@chat/contracts/dto';
import { JwtAuthGuard } from '@chat/security';
import { UserRateLimitGuard } from '../rate-limit/user-rate-limit.guard';
import { UserResponse } from './dto/user.response';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, UserRateLimitGuard)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ summary: 'Users whose username starts with q (case-insensitive), at most 20' })
  @ApiOkResponse({ type: [UserResponse] })
  search(@Query() query: UserSearchQueryDto): Promise<User[]> {
    return this.users.search(query.q);
  }
}
