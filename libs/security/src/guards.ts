import {
  createParamDecorator,
  Injectable,
  SetMetadata,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Role } from '@chat/contracts';
import { AppError } from '@chat/platform';
import { hasRole, type Principal } from './principal';

/** Requires a valid access token; answers 401 UNAUTHORIZED in the contract's shape otherwise. */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  override handleRequest<T = Principal>(err: unknown, user: T | false): T {
    if (err instanceof AppError && err.code !== 'UNAUTHORIZED') throw err;
    if (err || !user) throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
    return user;
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
    if (!user) throw new AppError('UNAUTHORIZED', 'Invalid or expired access token');
    if (!hasRole(user, ...roles)) throw new AppError('FORBIDDEN', `Requires role ${roles.join(' or ')}`);
    return true;
  }
}

/** The authenticated caller of an HTTP route. */
export const CurrentUser = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<{ user: Principal }>().user,
);
