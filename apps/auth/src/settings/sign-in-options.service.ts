import { Inject, Injectable } from '@nestjs/common';
import type { SignInOptions } from '@chat/contracts';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SignInSettingsService } from './sign-in-settings.service';

/** What the login screen offers, before anyone signs in: the settings and the configuration together. */
@Injectable()
export class SignInOptionsService {
  constructor(
    private readonly settings: SignInSettingsService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  async options(): Promise<SignInOptions> {
    const { passwordLogin } = await this.settings.get();
    return { passwordLogin, oidc: this.config.oidc ? { name: this.config.oidc.displayName } : null };
  }
}
