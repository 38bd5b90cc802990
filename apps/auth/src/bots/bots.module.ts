import { Module } from '@nestjs/common';
import { BotsController } from './bots.controller';
import { BotsRepository } from './bots.repository';
import { BotsService } from './bots.service';

/** Bot accounts: long-lived tokens for integrations, managed by admins. */
@Module({
  controllers: [BotsController],
  providers: [BotsService, BotsRepository],
  exports: [BotsService],
})
export class BotsModule {}
