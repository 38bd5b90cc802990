import { Module } from '@nestjs/common';
import { InfraModule } from '../infra/infra.module';
import { RateLimits } from './rate-limits.service';
import { UserRateLimitGuard } from './user-rate-limit.guard';

@Module({
  imports: [InfraModule],
  providers: [RateLimits, UserRateLimitGuard],
  exports: [RateLimits, UserRateLimitGuard],
})
export class RateLimitModule {}
