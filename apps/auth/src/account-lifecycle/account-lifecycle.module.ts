import { Module, type DynamicModule } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AccountExportRepository } from './account-export.repository';
import { AccountExportService } from './account-export.service';
import { AccountLifecycleController, UserDeactivationController } from './account-lifecycle.controller';
import { AccountLifecycleRepository } from './account-lifecycle.repository';
import { AccountLifecycleService } from './account-lifecycle.service';
import { ExportLock } from './export-lock';

/** The person's own account: deletion (GDPR erasure) and export (issue #19). */
@Module({})
export class AccountLifecycleModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: AccountLifecycleModule,
      controllers: [AccountLifecycleController, UserDeactivationController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        AccountLifecycleRepository,
        AccountExportRepository,
        ExportLock,
        AccountLifecycleService,
        AccountExportService,
      ],
      exports: [],
    };
  }
}
