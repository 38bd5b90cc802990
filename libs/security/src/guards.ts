import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { Strategy } from 'passport-jwt';
import { Inject } from '@nestjs/common';
import type { Role } from '@chat/contracts';
import { authenticateRequest } from './jwt.strategy';
import { hasRole, type Principal } from './principal';
import { JWT_STRATEGY } from './tokens';
import { SecurityErrors } from './security.errors';

/** Requires a valid access token (passport-jwt); answers 401 UNAUTHORIZED in the contract's shape. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(@Inject(JWT_STRATEGY) private readonly strategy: Strategy) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    // Bad tokens resolve to undefined; only real failures (the database is down) reject.
    const user = await authenticateRequest(this.strategy, req);
    if (!user) throw SecurityErrors.invalidToken();
    req.user = user;
    return true;
  }
}

const ROLES_KEY = 'chat:roles';

/** Allows the route only to callers holding one of `roles` (use after JwtAuthGuard). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(ctx: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [
      ctx.getHandler(),
      ctx.getClass(),
    ]);
    if (!roles || roles.length === 0) return true;
    const user = ctx.switchToHttp().getRequest<{ user?: Principal }>().user;
    if (!user) throw SecurityErrors.invalidToken();
    if (!hasRole(user, ...roles)) throw SecurityErrors.roleRequired(roles);
    return true;
  }
}

/** The authenticated caller of an HTTP route. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
