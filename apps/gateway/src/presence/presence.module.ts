import { Module } from '@nestjs/common';
import { InfraModule } from '../infra/infra.module';
import { UsersModule } from '../users/users.module';
import { PresenceService } from './presence.service';
import { TypingService } from './typing.service';

/** Ephemeral activity of users: who is online, who is typing where. */
@Module({
  imports: [InfraModule, UsersModule],
  providers: [PresenceService, TypingService],
  exports: [PresenceService, TypingService],
})
export class PresenceModule {}
