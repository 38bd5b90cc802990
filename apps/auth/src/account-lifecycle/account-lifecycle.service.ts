import { randomBytes } from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { AccountDeletionPolicy } from '@chat/contracts';
import type { DeleteAccountDto } from '@chat/contracts/dto/account.dto';
import { EVENT_BUS, Periodic, type EventBus } from '@chat/platform';
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
/**
 * An erasure whose replica has not finished a batch for this long stopped part-way, and another
 * replica takes it over (every ACCOUNT_ERASURE_SWEEP_SECONDS). A batch takes milliseconds.
 */
const ERASURE_LEASE_MS = 2 * 60_000;

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
 *
 * An erasure of messages is recorded with the account and survives the replica doing it: one that
 * stops part-way (a crash, a deploy, a database outage) is finished by whichever auth replica next
 * finds its lease lapsed (ACCOUNT_ERASURE_SWEEP_SECONDS).
 */
@Injectable()
export class AccountLifecycleService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(AccountLifecycleService.name);
  private readonly resume: Periodic;

  constructor(
    private readonly accounts: AccountLifecycleRepository,
    private readonly exports: AccountExportRepository,
    private readonly audit: AuditRepository,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    private readonly status: UserStatusService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly throttle: LoginThrottle,
    private readonly metrics: AuthMetrics,
  ) {
    this.resume = new Periodic(
      config.accountDeletion.erasureSweepSeconds * 1000,
      () => this.resumeLapsedErasures(),
      (err: unknown) =>
        this.logger.error(
          { err },
          "resuming the erasure of a deleted account's messages failed; retried later",
        ),
    );
  }

  onApplicationBootstrap(): void {
    this.resume.start();
  }

  /** Stops between two batches: what is left is taken over once the lease lapses. */
  onModuleDestroy(): Promise<void> {
    return this.resume.stop();
  }

  /** Finishes every erasure another replica (or this one, before a restart) left part-way. */
  private async resumeLapsedErasures(): Promise<void> {
    while (!this.resume.isStopped) {
      const userId = await this.accounts.claimLapsedErasure(ERASURE_LEASE_MS);
      if (userId === undefined) return;
      this.logger.warn({ userId }, "resuming the erasure of a deleted account's messages, left part-way");
      await this.eraseMessages(userId);
    }
  }

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
      await tx.deactivate(userId, placeholderUsername(), eraseMessages);
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
    // The account is gone whatever happens next: a failure here is not a reason to tell the person
    // their deletion failed. The erasure stays recorded, and a replica takes it over (see above).
    await this.eraseMessages(userId).catch((err: unknown) =>
      this.logger.error(
        { err, userId },
        'erasing the messages of a deleted account failed part-way; it is resumed once its lease lapses',
      ),
    );
  }

  /**
   * Tombstones every message of the user, a channel at a time, in short batches after the
   * account's transaction (no long lock on `messages`). Each batch is published to the gateways,
   * and stamps `updated_at`, so `channel:sync` catch-up finds it too. Run again on an erasure left
   * part-way, it starts over from each channel's newest live message: what is erased is skipped.
   */
  private async eraseMessages(userId: string): Promise<void> {
    let total = 0;
    for (const channelId of await this.exports.authoredChannelIds(userId)) {
      let cursor: string | null = null;
      for (;;) {
        if (this.resume.isStopped) return;
        const { erased, oldestId } = await this.accounts.eraseBatch(userId, channelId, cursor, ERASE_BATCH);
        total += erased.length;
        // Open clients see them go at once (every gateway pushes message:deleted to its sockets);
        // one that misses it finds them deleted at its next load or catch-up.
        if (erased.length > 0) await this.bus.publish('messages.erased', { messages: erased });
        if (erased.length < ERASE_BATCH) break;
        cursor = oldestId;
      }
    }
    await this.accounts.erasureDone(userId);
    this.logger.log({ userId, messages: total }, 'erased the messages of a deleted account');
  }
}
