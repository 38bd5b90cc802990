import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { AuthResult, User } from '@chat/contracts';
import type { LoginDto, RegisterDto } from '@chat/contracts/dto';
import { isUniqueViolation, UserEntity } from '@chat/database';
import { AppError } from '@chat/platform';
import { AUTH_CONFIG, type AuthConfig } from '../config';
import { TokensService } from '../sessions/tokens.service';
import { LoginThrottle } from './login-throttle';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';
import { toUserDto } from './user.mapper';

const BAD_CREDENTIALS = 'Invalid username or password';

@Injectable()
export class AccountsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AccountsService.name);

  constructor(
    @InjectDataSource() private readonly db: DataSource,
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
    const user = await this.insertUser(dto.username, passwordHash, dto.email ?? null);
    return this.tokens.startSession(user);
  }

  async login(dto: LoginDto, ip: string): Promise<AuthResult> {
    await this.throttle.beginLoginAttempt(dto.username, ip);
    const user = await this.db
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:name)', { name: dto.username })
      .getOne();
    const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), dto.password);
    if (!user || !ok) {
      throw new AppError('UNAUTHORIZED', BAD_CREDENTIALS);
    }
    // A banned user learns nothing new from this: same answer as a wrong password.
    if (user.bannedAt) throw new AppError('UNAUTHORIZED', BAD_CREDENTIALS);
    await this.throttle.loginSucceeded(dto.username, ip);
    return this.tokens.startSession(user);
  }

  async me(userId: string): Promise<User> {
    const user = await this.db.getRepository(UserEntity).findOne({ where: { id: userId } });
    if (!user) throw new AppError('NOT_FOUND', 'No such user');
    return toUserDto(user);
  }

  private async insertUser(
    username: string,
    passwordHash: string,
    email: string | null,
  ): Promise<UserEntity> {
    try {
      return await this.db.transaction(async (tx) => {
        // Serializes first registrations so exactly one account becomes the first admin.
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext('chat.users.first-admin'))`);
        const [{ exists }] = await tx.query<{ exists: boolean }[]>(
          'SELECT EXISTS (SELECT 1 FROM users) AS exists',
        );
        const roles: UserEntity['roles'] = exists ? ['member'] : ['admin', 'member'];
        return tx.save(tx.create(UserEntity, { username, passwordHash, email, roles }));
      });
    } catch (err) {
      if (isUniqueViolation(err, 'users_username_lower_key'))
        throw new AppError('CONFLICT', 'Username is taken');
      throw err;
    }
  }

  private async ensureAdmin(username: string, password: string): Promise<void> {
    const repo = this.db.getRepository(UserEntity);
    const existing = await repo
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
    if (!existing) {
      try {
        const user = await this.insertUser(username, await hashPassword(password), null);
        await repo.update({ id: user.id }, { roles: ['admin', 'member'] });
        this.logger.log(`created admin account ${username}`);
      } catch (err) {
        // Another auth replica created it at the same moment: it will have made it admin.
        if (!(err instanceof AppError && err.code === 'CONFLICT')) throw err;
      }
    } else if (!existing.roles.includes('admin')) {
      await repo.update({ id: existing.id }, { roles: [...new Set([...existing.roles, 'admin' as const])] });
      this.logger.log(`granted admin to ${username}`);
    }
  }
}
