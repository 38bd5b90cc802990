import { Module } from '@nestjs/common';
import { InfraModule } from '../infra/infra.module';
import { PresenceModule } from '../presence/presence.module';
import { EmailDigestModule } from './email/email-digest.module';
import { NotificationsRepository } from './notifications.repository';
import { NotificationsService } from './notifications.service';
import { PushModule } from './push/push.module';

/**
 * Who a new message notifies (issue #17), and its delivery: the `notification` push, Web Push
 * (PushModule) for users with no socket connected, rows the away digest (EmailDigestModule) reads.
 */
@Module({
  imports: [InfraModule, PresenceModule, PushModule, EmailDigestModule],
  providers: [NotificationsService, NotificationsRepository],
  exports: [NotificationsService],
})
export class NotificationsModule {}
