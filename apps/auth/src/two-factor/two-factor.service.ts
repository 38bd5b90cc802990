import { Inject, Injectable } from '@nestjs/common';
import type { TotpSetup } from '@chat/contracts';
import { type AuditContext, AuditRepository, type Principal, UserStatusService } from '@chat/security';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { SignInSettingsService } from '../settings/sign-in-settings.service';
import { CodeThrottle } from './code-throttle';
import { TwoFactorErrors } from './two-factor.errors';
import { TwoFactorRepository, type TotpState } from './two-factor.repository';
import { asTotpCode, matchTotp, newRecoveryCodes, newTotpSecret, otpauthUrl, recoveryCodeHash } from './totp';

/** What the second factor of a login (its password already right) came to. */
export type LoginCodeCheck = 'off' | 'passed' | 'missing' | 'wrong';

/**
 * TOTP two-factor (RFC 6238) with one-time recovery codes. A set-up stays pending, and changes
 * nothing at login, until a code of its secret enables it. Every accepted TOTP code moves the
 * user's last accepted time step forward, so no code is ever accepted twice.
 */
@Injectable()
export class TwoFactorService {
  constructor(
    private readonly repo: TwoFactorRepository,
    private readonly throttle: CodeThrottle,
    private readonly settings: SignInSettingsService,
    private readonly audit: AuditRepository,
    private readonly status: UserStatusService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
  ) {}

  /** A new secret and recovery codes, replacing a set-up not yet enabled; nothing changes at login yet. */
  async setup(actor: Principal): Promise<TotpSetup> {
    if (actor.bot) throw TwoFactorErrors.notForBots();
    const secret = newTotpSecret();
    const recoveryCodes = newRecoveryCodes();
    const username = await this.repo.transaction(async (tx) => {
      const state = await this.person(tx, actor.id);
      if (state.enabledAt) throw TwoFactorErrors.alreadyEnabled();
      await tx.startSetup(
        actor.id,
        secret,
        recoveryCodes.map((c) => recoveryCodeHash(c)!),
      );
      return state.username;
    });
    return { secret, otpauthUrl: otpauthUrl(this.config.totp.issuer, username, secret), recoveryCodes };
  }

  /** Turns the pending set-up on with a current code of its secret. */
  async enable(actor: Principal, code: string): Promise<void> {
    if (actor.bot) throw TwoFactorErrors.notForBots();
    await this.throttle.begin(actor.id);
    await this.repo.transaction(async (tx) => {
      const state = await this.person(tx, actor.id);
      if (state.enabledAt) throw TwoFactorErrors.alreadyEnabled();
      if (!state.secret) throw TwoFactorErrors.notPending();
      const step = await matchTotp(state.secret, code, state.lastStep);
      if (step === null) throw TwoFactorErrors.codeWrong();
      await tx.enable(actor.id, step);
    });
    // A set-up the settings required: the account's other routes open at once here (other
    // replicas and services re-read it within their status cache's 3 s).
    this.status.forget(actor.id);
    await this.throttle.succeeded(actor.id);
  }

  /** Turns two-factor off with a code or an unused recovery code, unless the settings require it. */
  async disable(actor: Principal, code: string): Promise<void> {
    if (actor.bot) throw TwoFactorErrors.notForBots();
    if ((await this.settings.get()).requireTotp) throw TwoFactorErrors.requiredBySettings();
    await this.throttle.begin(actor.id);
    await this.repo.transaction(async (tx) => {
      const state = await this.person(tx, actor.id);
      if (!state.enabledAt || !state.secret) throw TwoFactorErrors.notEnabled();
      if (!(await this.spendCode(tx, state, code))) throw TwoFactorErrors.codeWrong();
      await tx.clear(actor.id);
    });
    await this.throttle.succeeded(actor.id);
  }

  /**
   * The second step of a login whose password was right. A code is spent when it passes (a TOTP
   * step, or the recovery code), so the same one never opens two logins.
   */
  async checkLogin(userId: string, code: string | undefined): Promise<LoginCodeCheck> {
    const state = await this.repo.find(userId);
    if (!state?.enabledAt || !state.secret) return 'off';
    if (code === undefined || code.trim() === '') return 'missing';
    return (await this.spendCode(this.repo, state, code)) ? 'passed' : 'wrong';
  }

  /** An admin's reset for a lost device: the secret and codes go, audited in the same transaction. */
  async reset(actor: Principal, userId: string, context: AuditContext): Promise<void> {
    await this.repo.transaction(async (tx, sql) => {
      const state = await tx.lock(userId);
      if (!state) throw TwoFactorErrors.userNotFound();
      await tx.clear(userId);
      await this.audit.append(sql, {
        actor,
        action: 'user.totp_reset',
        target: { type: 'user', id: userId, name: state.username },
        details: {
          wasEnabled: state.enabledAt !== null,
          wasPending: state.enabledAt === null && !!state.secret,
        },
        context,
      });
    });
  }

  /** The caller's row, locked; bots have no second factor. */
  private async person(tx: TwoFactorRepository, userId: string): Promise<TotpState> {
    const state = await tx.lock(userId);
    if (!state) throw TwoFactorErrors.userNotFound();
    if (state.bot) throw TwoFactorErrors.notForBots();
    return state;
  }

  /** Whether `code` is a fresh TOTP code (its step then recorded) or an unused recovery code (then spent). */
  private async spendCode(tx: TwoFactorRepository, state: TotpState, code: string): Promise<boolean> {
    if (asTotpCode(code)) {
      const step = await matchTotp(state.secret!, code, state.lastStep);
      return step !== null && (await tx.acceptStep(state.id, step));
    }
    const hash = recoveryCodeHash(code);
    return hash !== null && (await tx.spendRecoveryCode(state.id, hash));
  }
}
