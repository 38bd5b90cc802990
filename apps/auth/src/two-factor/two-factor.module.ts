import { Module, type DynamicModule } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { CodeThrottle } from './code-throttle';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorRepository } from './two-factor.repository';
import { TwoFactorService } from './two-factor.service';

/**
 * TOTP two-factor authentication with recovery codes (issue #19). Logins ask TwoFactorService for
 * the second step once the password is right.
 */
@Module({})
export class TwoFactorModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: TwoFactorModule,
      controllers: [TwoFactorController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        TwoFactorRepository,
        CodeThrottle,
        TwoFactorService,
      ],
      exports: [TwoFactorService],
    };
  }
}
