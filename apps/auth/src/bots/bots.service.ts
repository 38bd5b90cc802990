import { Injectable } from '@nestjs/common';
import type { BotCreated, User } from '@chat/contracts';
import { toUserDto } from '@chat/domain';
import {
  AuditRepository,
  newBotToken,
  UserStatusService,
  type AuditContext,
  type Principal,
} from '@chat/security';
import { BotErrors } from './bots.errors';
import { BotsRepository } from './bots.repository';

/**
 * Bot accounts (admins only): created with a token shown once, deleted with it. Both are audited
 * in the transaction that makes them.
 */
@Injectable()
export class BotsService {
  constructor(
    private readonly bots: BotsRepository,
    private readonly audit: AuditRepository,
    private readonly status: UserStatusService,
  ) {}

  async create(actor: Principal, username: string, context: AuditContext): Promise<BotCreated> {
    const { token, hash } = newBotToken();
    const user = await this.bots.transaction(async (tx, sql) => {
      const created = await tx.create(username, hash, actor.id);
      if (created)
        await this.audit.append(sql, {
          actor,
          action: 'bot.created',
          target: { type: 'user', id: created.id, name: created.username },
          context,
        });
      return created;
    });
    if (!user) throw BotErrors.usernameTaken();
    return { user: toUserDto(user), token };
  }

  async list(): Promise<User[]> {
    return (await this.bots.list()).map(toUserDto);
  }

  /**
   * Deletes the bot's token and retires its account. Published as `user.banned`: every service
   * drops what it cached about the bot and every gateway closes its sockets, as for a ban.
   */
  async remove(actor: Principal, id: string, context: AuditContext): Promise<void> {
    const removed = await this.bots.transaction(async (tx, sql) => {
      const username = await tx.revoke(id);
      if (username)
        await this.audit.append(sql, {
          actor,
          action: 'bot.revoked',
          target: { type: 'user', id, name: username },
          context,
        });
      return username !== undefined;
    });
    if (!removed) throw BotErrors.notFound();
    await this.status.announce('user.banned', { userId: id });
  }
}
