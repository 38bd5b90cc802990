import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { Metrics } from '@chat/platform';

/**
 * Why a login was refused. The client gets the same answer for all but `throttled` and `bad_code`
 * (a wrong two-factor code, told only to a caller who gave the right password; an attacker must not
 * learn which usernames exist or are banned); only the operator sees the split.
 */
export const LOGIN_FAILURE_REASONS = [
  'bad_password',
  'unknown_user',
  'throttled',
  'banned',
  'bad_code',
] as const;
export type LoginFailureReason = (typeof LOGIN_FAILURE_REASONS)[number];

export const MODERATION_ACTIONS = ['ban', 'unban'] as const;

/**
 * The auth service's security counters, on the service's registry (served at /metrics): what a
 * brute-force, credential-stuffing or token-theft alert needs (docs/operations.md).
 */
@Injectable()
export class AuthMetrics {
  private readonly loginFailures: Counter<'reason'>;
  private readonly refreshReuse: Counter;
  private readonly bans: Counter<'action'>;
  private readonly roleChanges: Counter;

  constructor(metrics: Metrics) {
    this.loginFailures = metrics.counter('auth_login_failures_total', 'Refused logins by reason', ['reason']);
    this.refreshReuse = metrics.counter(
      'auth_refresh_token_reuse_total',
      'Spent refresh tokens presented again (the session is revoked: a stolen token or a replay)',
    );
    this.bans = metrics.counter('auth_bans_total', 'Bans and lifted bans', ['action']);
    this.roleChanges = metrics.counter('auth_role_changes_total', "Changes of a user's roles");
    // Every series exists from the start at 0: rate() and increase() over a series that appears
    // with its first event miss that event, and alerts would wait for a second one.
    for (const reason of LOGIN_FAILURE_REASONS) this.loginFailures.inc({ reason }, 0);
    for (const action of MODERATION_ACTIONS) this.bans.inc({ action }, 0);
  }

  loginFailed(reason: LoginFailureReason): void {
    this.loginFailures.inc({ reason });
  }

  refreshTokenReused(): void {
    this.refreshReuse.inc();
  }

  moderated(action: (typeof MODERATION_ACTIONS)[number]): void {
    this.bans.inc({ action });
  }

  rolesChanged(): void {
    this.roleChanges.inc();
  }
}
