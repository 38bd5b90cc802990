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
import { Authenticator } from './authenticator';
import { looksLikeBotToken } from './bot-token';
import { authenticateRequest } from './jwt.strategy';
import { hasRole, type Principal } from './principal';
import { JWT_STRATEGY } from './tokens';
import { SecurityErrors } from './security.errors';

/** The Bearer credential of a request when it claims to be a bot token (`chatbot_…`). */
function bearerBotToken(req: Request): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m && looksLikeBotToken(m[1]) ? m[1] : undefined;
}

/**
 * Requires a valid access token (passport-jwt) or bot token; answers 401 UNAUTHORIZED in the
 * contract's shape.
 */
const DURING_TOTP_SETUP_KEY = 'chat:during-totp-setup';

/**
 * Marks a route a caller who must still set up two-factor may use (their own account, the set-up
 * itself); every other authenticated route refuses them with 403 until they have.
 */
export const DuringTotpSetup = () => SetMetadata(DURING_TOTP_SETUP_KEY, true);

@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    @Inject(JWT_STRATEGY) private readonly strategy: Strategy,
    private readonly authenticator: Authenticator,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<Request & { user?: Principal }>();
    const bot = bearerBotToken(req);
    // Bad tokens resolve to undefined (or throw UNAUTHORIZED); only real failures (the database
    // is down) reject otherwise.
    const user = bot
      ? await this.authenticator.authenticate(bot)
      : await authenticateRequest(this.strategy, req);
    if (!user) throw SecurityErrors.invalidToken();
    if (
      user.totpSetupRequired &&
      !this.reflector.getAllAndOverride<boolean | undefined>(DURING_TOTP_SETUP_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ])
    )
      throw SecurityErrors.totpSetupRequired();
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
