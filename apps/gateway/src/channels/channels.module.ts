import { Module } from '@nestjs/common';
import { InfraModule } from '../infra/infra.module';
import { PresenceModule } from '../presence/presence.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { ChannelAccess } from './channel-access';
import { ChannelsController } from './channels.controller';
import { ChannelsRepository } from './channels.repository';
import { ChannelsService } from './channels.service';
import { DmsController } from './dms.controller';

/** Channels, DMs, memberships and read markers. */
@Module({
  imports: [InfraModule, PresenceModule, RateLimitModule, UsersModule],
  controllers: [ChannelsController, DmsController],
  providers: [ChannelsService, ChannelAccess, ChannelsRepository],
  exports: [ChannelsService, ChannelAccess],
})
export class ChannelsModule {}
