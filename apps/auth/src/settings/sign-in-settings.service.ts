import { Injectable } from '@nestjs/common';
import type { SignInSettings } from '@chat/contracts';
import { type AuditContext, AuditRepository, type Principal, UserStatusService } from '@chat/security';
import { SettingsErrors } from './settings.errors';
import { SignInSettingsRepository } from './sign-in-settings.repository';

/**
 * The sign-in settings every login consults (password login on or off, accounts created by OIDC,
 * TOTP required). Read from the database each time, so a change applies on every replica at once;
 * a change is audited in its own transaction.
 */
@Injectable()
export class SignInSettingsService {
  constructor(
    private readonly settings: SignInSettingsRepository,
    private readonly audit: AuditRepository,
    private readonly status: UserStatusService,
  ) {}

  get(): Promise<SignInSettings> {
    return this.settings.get();
  }

  async update(
    actor: Principal,
    patch: Partial<SignInSettings>,
    context: AuditContext,
  ): Promise<SignInSettings> {
    const updated = await this.settings.transaction(async (tx, sql) => {
      const before = await tx.lock();
      // Turning the requirement on confines every password account without two-factor to its
      // set-up at once, the admin's own included: they set theirs up first.
      if (patch.requireTotp && !before.requireTotp && (await tx.lacksRequiredTotp(actor.id)))
        throw SettingsErrors.setUpOwnTotpFirst();
      const after = await tx.update(patch, actor.id);
      const changed = (Object.keys(after) as (keyof SignInSettings)[]).filter((k) => before[k] !== after[k]);
      if (changed.length > 0)
        await this.audit.append(sql, {
          actor,
          action: 'settings.sign_in_changed',
          target: { type: 'settings', id: 'sign-in', name: 'Sign-in settings' },
          details: Object.fromEntries(changed.map((k) => [k, { from: before[k], to: after[k] }])),
          context,
        });
      return { before, after };
    });
    // Every account's standing depends on requireTotp: this replica re-reads them at once (others
    // within their status cache's 3 s).
    if (updated.before.requireTotp !== updated.after.requireTotp) this.status.forgetAll();
    return updated.after;
  }
}
