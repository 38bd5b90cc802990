import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { UserPage } from '@chat/contracts';
import { UserListQueryDto } from '@chat/contracts/dto/admin.dto';
import { JwtAuthGuard, Roles, RolesGuard } from '@chat/security';
import { AdminUsersService } from './admin-users.service';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Controller('auth/users')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  @Roles('admin', 'moderator')
  @ApiOperation({
    summary: 'Every account (bots included) by username, filtered, a page at a time (admins, moderators)',
  })
  list(@Query() query: UserListQueryDto): Promise<UserPage> {
    return this.users.page(query);
  }
}
