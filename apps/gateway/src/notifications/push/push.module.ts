import { Module } from '@nestjs/common';
import { RateLimitModule } from '../../rate-limit/rate-limit.module';
import { PushController } from './push.controller';
import { PushQueue } from './push-queue';
import { PushRepository } from './push.repository';
import { PushService } from './push.service';
import { PushWorker } from './push-worker';

/**
 * Web Push (RFC 8030/8291/8292): subscriptions, the durable outbox `PushQueue` fills, and the
 * worker every replica runs to deliver it.
 */
@Module({
  imports: [RateLimitModule],
  controllers: [PushController],
  providers: [PushService, PushQueue, PushRepository, PushWorker],
  exports: [PushQueue],
})
export class PushModule {}
