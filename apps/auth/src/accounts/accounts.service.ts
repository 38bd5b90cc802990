import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { AuthResult, Role, User } from '@chat/contracts';
import type { LoginDto, RegisterDto } from '@chat/contracts/dto';
import { toUserDto } from '@chat/domain';
import { AppError } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { TokensService } from '../sessions/tokens.service';
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
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { username, password } = this.config.admin;
    if (username && password) await this.ensureAdmin(username, password);
  }

  /** Creates an account; the first one on an empty system becomes admin. */
  async register(dto: RegisterDto, ip: string): Promise<AuthResult> {
    await this.throttle.consumeRegistration(ip);
    const passwordHash = await hashPassword(dto.password);
    const user = await this.create(dto.username, passwordHash, dto.email ?? null);
    return this.tokens.startSession(user);
  }

  async login(dto: LoginDto, ip: string): Promise<AuthResult> {
    await this.throttle.beginLoginAttempt(dto.username, ip);
    const user = await this.accounts.findByUsername(dto.username);
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), dto.password);
    if (!user || !ok) throw AccountErrors.badCredentials();
    // A banned user learns nothing new from this: same answer as a wrong password.
    if (user.bannedAt) throw AccountErrors.badCredentials();
    await this.throttle.loginSucceeded(dto.username, ip);
    return this.tokens.startSession(user);
  }

  async me(userId: string): Promise<User> {
    const user = await this.accounts.findById(userId);
    if (!user) throw AccountErrors.userNotFound();
    return toUserDto(user);
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
