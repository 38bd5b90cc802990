import { Module } from '@nestjs/common';
import { Mailer } from '@chat/platform';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config';
import { PresenceModule } from '../../presence/presence.module';
import { EmailDigestRepository } from './email-digest.repository';
import { EmailDigestService } from './email-digest.service';

/**
 * The away digest: emails users who are offline about notifications they left unread (rows the
 * notifications context writes into `notifications`). Runs on its own timer; exports nothing.
 */
@Module({
  imports: [PresenceModule],
  providers: [
    {
      provide: Mailer,
      useFactory: (config: GatewayConfig) => new Mailer(config.mail),
      inject: [GATEWAY_CONFIG],
    },
    EmailDigestRepository,
    EmailDigestService,
  ],
})
export class EmailDigestModule {}
