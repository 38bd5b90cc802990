import { Module } from '@nestjs/common';
import { InfraModule } from '../infra/infra.module';
import { PresenceModule } from '../presence/presence.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { ChannelAccess } from './channel-access';
import { ChannelAdminController } from './channel-admin.controller';
import { ChannelAdminRepository } from './channel-admin.repository';
import { ChannelAdminService } from './channel-admin.service';
import { ChannelsController } from './channels.controller';
import { ChannelsRepository } from './channels.repository';
import { ChannelsService } from './channels.service';
import { DmsController } from './dms.controller';

/** Channels, DMs, memberships and read markers. */
@Module({
  imports: [InfraModule, PresenceModule, RateLimitModule, UsersModule],
  // The admin routes first: `GET /channels/directory` must not reach `GET /channels/:id`.
  controllers: [ChannelAdminController, ChannelsController, DmsController],
  providers: [
    ChannelsService,
    ChannelAccess,
    ChannelsRepository,
    ChannelAdminService,
    ChannelAdminRepository,
  ],
  exports: [ChannelsService, ChannelAccess],
})
export class ChannelsModule {}
