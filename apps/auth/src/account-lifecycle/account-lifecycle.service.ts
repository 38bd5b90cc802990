import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AccountDeletionPolicy } from '@chat/contracts';
import type { DeleteAccountDto } from '@chat/contracts/dto/account.dto';
import { EVENT_BUS, type EventBus } from '@chat/platform';
import { AuditRepository, UserStatusService, type AuditContext, type Principal } from '@chat/security';
import { LoginThrottle } from '../accounts/login-throttle';
import { verifyPassword } from '../accounts/passwords';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { AuthMetrics } from '../observability/auth-metrics';
import { AccountExportRepository } from './account-export.repository';
import { AccountLifecycleErrors } from './account-lifecycle.errors';
import { AccountLifecycleRepository, type LifecycleAccount } from './account-lifecycle.repository';

/** Messages tombstoned per statement when an account's messages are erased: each batch is short. */
const ERASE_BATCH = 500;

/** `deleted-` and 24 hex digits: 32 characters, the username column's width, and never a real name's shape clash. */
export function placeholderUsername(): string {
  return `deleted-${randomBytes(12).toString('hex')}`;
}

/**
 * Account deletion (GDPR erasure): by the person (`DELETE /auth/me`, confirmed with their password)
 * or by an admin (`DELETE /auth/users/:id`, audited). The profile is erased and the account
 * deactivated in one transaction; then `user.banned` is published, so every service forgets the
 * user's status and every gateway closes their sockets within seconds. Messages stay, shown as
 * "deleted user", unless the person asked for them to go too (and the policy allows it).
 */
@Injectable()
export class AccountLifecycleService {
  private readonly logger = new Logger(AccountLifecycleService.name);

  constructor(
    private readonly accounts: AccountLifecycleRepository,
    private readonly exports: AccountExportRepository,
    private readonly audit: AuditRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly status: UserStatusService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly throttle: LoginThrottle,
    private readonly metrics: AuthMetrics,
  ) {}

  async policy(userId: string): Promise<AccountDeletionPolicy> {
    const account = await this.accounts.find(userId);
    if (!account || account.deactivatedAt) throw AccountLifecycleErrors.userNotFound();
    return {
      confirmWith: account.passwordHash === null ? 'username' : 'password',
      eraseMessages: this.config.accountDeletion.eraseMessages,
    };
  }

  /**
   * `DELETE /auth/me`. A wrong password counts as a failed login of the account (the same
   * throttle: a stolen access token cannot be used to guess the password either).
   */
  async deleteOwn(user: Principal, dto: DeleteAccountDto, ip: string): Promise<void> {
    if (user.bot) throw AccountLifecycleErrors.botAccount();
    this.assertErasePolicy(dto.eraseMessages);
    const account = await this.accounts.find(user.id);
    if (!account || account.deactivatedAt) throw AccountLifecycleErrors.userNotFound();
    await this.confirm(account, dto, ip);
    await this.erase(user.id, dto.eraseMessages === true, null);
  }

  /** `DELETE /auth/users/:id` (admin): the same erasure, audited, never of oneself. */
  async deactivate(
    actor: Principal,
    userId: string,
    eraseMessages: boolean,
    context: AuditContext,
  ): Promise<void> {
    if (actor.id === userId) throw AccountLifecycleErrors.selfDeactivation();
    this.assertErasePolicy(eraseMessages);
    await this.erase(userId, eraseMessages, { actor, context });
  }

  private assertErasePolicy(eraseMessages: boolean | undefined): void {
    if (eraseMessages && this.config.accountDeletion.eraseMessages !== 'allowed')
      throw AccountLifecycleErrors.eraseMessagesNotAllowed();
  }

  private async confirm(account: LifecycleAccount, dto: DeleteAccountDto, ip: string): Promise<void> {
    if (account.passwordHash === null) {
      // Single sign-on only: nothing secret to ask, so the person types their username out.
      if (dto.confirm?.toLowerCase() !== account.username.toLowerCase())
        throw AccountLifecycleErrors.confirmRequired();
      return;
    }
    if (dto.password === undefined) throw AccountLifecycleErrors.passwordRequired();
    await this.throttle.beginLoginAttempt(account.username, ip);
    if (!(await verifyPassword(account.passwordHash, dto.password))) {
      this.metrics.loginFailed('bad_password');
      throw AccountLifecycleErrors.wrongPassword();
    }
    await this.throttle.loginSucceeded(account.username, ip);
  }

  /**
   * One transaction: the last active admin is kept, the profile erased, sessions revoked (and for
   * an admin's action, the audit entry). Then every service is told, then the messages go if asked.
   */
  private async erase(
    userId: string,
    eraseMessages: boolean,
    by: { actor: Principal; context: AuditContext } | null,
  ): Promise<void> {
    await this.accounts.transaction(async (tx, sql) => {
      const admins = await tx.lockActiveAdmins();
      const target = await tx.lock(userId);
      if (!target || target.deactivatedAt) throw AccountLifecycleErrors.userNotFound();
      if (target.roles.includes('admin') && admins <= 1) throw AccountLifecycleErrors.lastAdmin();
      await tx.deactivate(userId, placeholderUsername());
      if (by)
        await this.audit.append(sql, {
          actor: by.actor,
          action: 'user.deactivated',
          target: { type: 'user', id: target.id, name: target.username },
          details: { eraseMessages },
          context: by.context,
        });
    });
    // The status caches of every service drop the user, and every gateway closes their sockets.
    await this.status.announce('user.banned', { userId });
    if (!eraseMessages) return;
    // The account is gone whatever happens next: a failure here is the operator's to finish (logged
    // with the user's id), not a reason to tell the person their deletion failed.
    await this.eraseMessages(userId).catch((err: unknown) =>
      this.logger.error({ err, userId }, 'erasing the messages of a deleted account failed part-way'),
    );
  }

  /**
   * Tombstones every message of the user, a channel at a time, in short batches after the
   * account's transaction (no long lock on `messages`). Each batch is published to the gateways,
   * and stamps `updated_at`, so `channel:sync` catch-up finds it too.
   */
  private async eraseMessages(userId: string): Promise<void> {
    let total = 0;
    for (const channelId of await this.exports.authoredChannelIds(userId)) {
      let cursor: string | null = null;
      for (;;) {
        const { erased, oldestId } = await this.accounts.eraseBatch(userId, channelId, cursor, ERASE_BATCH);
        total += erased.length;
        // Open clients see them go at once (every gateway pushes message:deleted to its sockets);
        // one that misses it finds them deleted at its next load or catch-up.
        if (erased.length > 0) await this.bus.publish('messages.erased', { messages: erased });
        if (erased.length < ERASE_BATCH) break;
        cursor = oldestId;
      }
    }
    this.logger.log({ userId, messages: total }, 'erased the messages of a deleted account');
  }
}
