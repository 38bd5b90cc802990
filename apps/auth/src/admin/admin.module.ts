import { Module, type DynamicModule } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AdminUsersController } from './admin-users.controller';
import { AdminUsersRepository } from './admin-users.repository';
import { AdminUsersService } from './admin-users.service';
import { AuditController } from './audit.controller';
import { AuditLogService } from './audit-log.service';
import { AuditRetention } from './audit-retention';
import { AuditRetentionRepository } from './audit-retention.repository';

/** Administration for staff: the user list, the audit log and its retention (issue #19). */
@Module({})
export class AdminModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AdminModule,
      controllers: [AdminUsersController, AuditController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        AdminUsersRepository,
        AdminUsersService,
        AuditLogService,
        AuditRetentionRepository,
        AuditRetention,
      ],
      exports: [],
    };
  }
}
