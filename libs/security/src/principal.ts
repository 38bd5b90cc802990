import type { Role } from '@chat/contracts';

/** The caller, as every service sees it after token verification and a live ban/role check. */
export interface Principal {
  id: string;
  username: string;
  /** Current roles from the database (not the token's), so a role change applies at once. */
  roles: Role[];
  /** Token expiry (seconds since the epoch): sockets are closed when it passes. */
  exp: number;
  /** A bot (its token, or an incoming webhook's account): marked on what it writes. */
  bot?: boolean;
  /**
   * Two-factor is required and not set up yet: only routes marked `@DuringTotpSetup()` (the
   * caller's own account and the set-up) accept this principal; everything else answers 403.
   */
  totpSetupRequired?: boolean;
}

export function hasRole(p: Pick<Principal, 'roles'>, ...roles: Role[]): boolean {
  return roles.some((r) => p.roles.includes(r));
}

/** Moderators and admins keep order: they may delete others' messages, ban, manage channels. */
export function isStaff(p: Pick<Principal, 'roles'>): boolean {
  return hasRole(p, 'admin', 'moderator');
}
