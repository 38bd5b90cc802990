import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal } from '@chat/security';
import { RateLimits } from './rate-limits.service';

/**
 * REST budget per user (per client address before authentication). Goes after JwtAuthGuard in
 * `@UseGuards`, so the user is known and one user cannot exhaust another's budget by address.
 */
@Injectable()
export class UserRateLimitGuard implements CanActivate {
  constructor(private readonly limits: RateLimits) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    await this.limits.consumeHttp(req.user ? `u:${req.user.id}` : `ip:${req.ip ?? 'unknown'}`);
    return true;
  }
}
