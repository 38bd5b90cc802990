import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditPage } from '@chat/contracts';
import { AuditQueryDto } from '@chat/contracts/dto/admin.dto';
import { JwtAuthGuard, Roles, RolesGuard } from '@chat/security';
import { AuditLogService } from './audit-log.service';

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard, RolesGuard)
@Roles('admin')
@Controller('auth/audit')
export class AuditController {
  constructor(private readonly audit: AuditLogService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first, filtered, a page at a time (admin only)' })
  page(@Query() query: AuditQueryDto): Promise<AuditPage> {
    return this.audit.page(query);
  }
}
