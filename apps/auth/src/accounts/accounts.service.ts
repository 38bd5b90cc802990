import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { AuthResult, Role } from '@chat/contracts';
import type { LoginDto, RegisterDto } from '@chat/contracts/dto';
import { AppError } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { EmailService } from '../email/email.service';
import { AuthMetrics } from '../observability/auth-metrics';
import { TokensService } from '../sessions/tokens.service';
import { SignInSettingsService } from '../settings/sign-in-settings.service';
import { TwoFactorService } from '../two-factor/two-factor.service';
import { AccountErrors } from './accounts.errors';
import { AccountsRepository, type Account } from './accounts.repository';
import { LoginThrottle } from './login-throttle';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';

const ADMIN_ROLES: readonly Role[] = ['admin', 'member'];

@Injectable()
export class AccountsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    private readonly accounts: AccountsRepository,
    private readonly tokens: TokensService,
    private readonly throttle: LoginThrottle,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    private readonly metrics: AuthMetrics,
    private readonly email: EmailService,
    private readonly settings: SignInSettingsService,
    private readonly twoFactor: TwoFactorService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { username, password } = this.config.admin;
    if (username && password) await this.ensureAdmin(username, password);
  }

  /** Creates an account; the first one on an empty system becomes admin. */
  async register(dto: RegisterDto, ip: string): Promise<AuthResult> {
    if (!(await this.settings.get()).passwordLogin) throw AccountErrors.passwordLoginOff();
    await this.throttle.consumeRegistration(ip);
    const passwordHash = await hashPassword(dto.password);
    const user = await this.create(dto.username, passwordHash, null);
    // The address given at registration gets its verification link like one set later; an SMTP
    // failure does not undo the account (saving the address again in settings resends the link).
    if (dto.email)
      await this.email.update(user.id, { email: dto.email }).catch((err: unknown) => {
        this.logger.warn({ err, userId: user.id }, 'verification email at registration not sent');
      });
    return this.tokens.startSession(user);
  }

  /**
   * Password, then the rest: the sign-in settings and the two-factor code are only looked at once
   * the password is right, so a caller without it learns neither whether password sign-in is off
   * for this account nor whether it has two-factor.
   */
  async login(dto: LoginDto, ip: string): Promise<AuthResult> {
    await this.throttle.beginLoginAttempt(dto.username, ip);
    const user = await this.accounts.findByUsername(dto.username);
    // An account without a password (single sign-on only, or erased) takes as long as any and never matches.
    const hash = user?.passwordHash ?? null;
    const ok = (await verifyPassword(hash ?? (await dummyPasswordHash()), dto.password)) && hash !== null;
    if (!user || !ok) {
      this.metrics.loginFailed(user ? 'bad_password' : 'unknown_user');
      throw AccountErrors.badCredentials();
    }
    // A banned user learns nothing new from this: same answer as a wrong password.
    if (user.bannedAt) {
      this.metrics.loginFailed('banned');
      throw AccountErrors.badCredentials();
    }
    // Admins keep password sign-in when it is off: the way back in when single sign-on breaks.
    if (!(await this.settings.get()).passwordLogin && !user.roles.includes('admin')) {
      await this.throttle.refundLoginAttempt(dto.username, ip);
      throw AccountErrors.passwordLoginOff();
    }
    switch (await this.twoFactor.checkLogin(user.id, dto.code)) {
      case 'missing':
        await this.throttle.refundLoginAttempt(dto.username, ip);
        throw AccountErrors.codeRequired();
      case 'wrong':
        // The attempt taken above stays: wrong codes run into the same 429 as wrong passwords.
        this.metrics.loginFailed('bad_code');
        throw AccountErrors.codeWrong();
    }
    await this.throttle.loginSucceeded(dto.username, ip);
    return this.tokens.startSession(user);
  }

  /** `asAdmin` makes it an admin whatever exists; otherwise only the first account is one. */
  private async create(
    username: string,
    passwordHash: string,
    email: string | null,
    asAdmin = false,
  ): Promise<Account> {
    const user = await this.accounts.transaction(async (tx) => {
      await tx.lockFirstAdmin();
      const first = !(await tx.anyAccount());
      const roles: readonly Role[] = asAdmin || first ? ADMIN_ROLES : ['member'];
      return tx.insert({ username, passwordHash, email, roles });
    });
    if (!user) throw AccountErrors.usernameTaken();
    return user;
  }

  private async ensureAdmin(username: string, password: string): Promise<void> {
    const existing = await this.accounts.findByUsername(username);
    if (!existing) {
      try {
        await this.create(username, await hashPassword(password), null, true);
        this.logger.log(`created admin account ${username}`);
      } catch (err) {
        // Another auth replica created it at the same moment: it will have made it admin.
        if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
      }
    } else if (await this.accounts.grantAdmin(existing.id)) {
      this.logger.log(`granted admin to ${username}`);
    }
  }
}
