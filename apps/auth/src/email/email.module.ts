import { Module, type DynamicModule } from '@nestjs/common';
import { Mailer } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { EmailController } from './email.controller';
import { EmailRepository } from './email.repository';
import { EmailService } from './email.service';
import { VerificationThrottle } from './verification-throttle';

/**
 * The caller's own account (`/auth/me`) with their email address: setting it, verifying it through
 * an emailed link, and the unsubscribe links of the gateway's digests.
 */
@Module({})
export class EmailModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: EmailModule,
      controllers: [EmailController],
      providers: [
        { provide: AUTH_CONFIG, useValue: config },
        { provide: Mailer, useFactory: () => new Mailer(config.mail) },
        EmailRepository,
        VerificationThrottle,
        EmailService,
      ],
      exports: [EmailService],
    };
  }
}
