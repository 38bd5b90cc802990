import { Module, type DynamicModule } from '@nestjs/common';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SignInOptionsController, SignInSettingsController } from './settings.controller';
import { SignInOptionsService } from './sign-in-options.service';
import { SignInSettingsRepository } from './sign-in-settings.repository';
import { SignInSettingsService } from './sign-in-settings.service';

/**
 * Sign-in settings (admins change them; every login reads them) and the public sign-in options:
 * global, as logins live in several modules.
 */
@Module({})
export class SettingsModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: SettingsModule,
      global: true,
      controllers: [SignInSettingsController, SignInOptionsController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        SignInSettingsRepository,
        SignInSettingsService,
        SignInOptionsService,
      ],
      exports: [SignInSettingsService],
    };
  }
}
