import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';
import type { UserRecord } from '@chat/domain';
import { NO_PASSWORD_HASH } from '@chat/security';

const USER_COLUMNS = `u.id, u.username, u.roles, u.created_at AS "createdAt", u.bot`;

/** Every statement about bot accounts and their tokens (reading a token is @chat/security's). */
@Injectable()
export class BotsRepository {
  constructor(private readonly sql: Sql) {}

  /** The same statements inside one transaction; `sql` is that transaction, for its audit entry. */
  transaction<T>(fn: (tx: BotsRepository, sql: Sql) => Promise<T>): Promise<T> {
    return this.sql.transaction((sql) => fn(new BotsRepository(sql), sql));
  }

  /**
   * A bot account holding the token with `tokenHash`, both or neither; undefined when the
   * username is taken (in any case).
   */
  create(username: string, tokenHash: Buffer, createdBy: string): Promise<UserRecord | undefined> {
    return this.sql.transaction(async (tx) => {
      // DO NOTHING rather than catching the unique violation: an error would abort the transaction.
      const user = await tx.one<UserRecord>(
        `INSERT INTO users AS u (username, password_hash, roles, bot) VALUES ($1, $2, '{member}', true)
         ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
        [username, NO_PASSWORD_HASH],
      );
      if (!user) return undefined;
      await tx.rows(`INSERT INTO bot_tokens (user_id, token_hash, created_by) VALUES ($1, $2, $3)`, [
        user.id,
        tokenHash,
        createdBy,
      ]);
      return user;
    });
  }

  /** Bots that hold a token (deleted ones do not), oldest first. */
  list(): Promise<UserRecord[]> {
    return this.sql.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM bot_tokens t JOIN users u ON u.id = t.user_id
        ORDER BY u.created_at, u.id`,
    );
  }

  /**
   * Deletes the bot's token and retires its account, together: the account stays (its messages
   * keep their author) but is marked banned, so nothing logs in as it, it is not offered to DM or
   * add, and every service's live status check refuses it. Answers the bot's username; undefined
   * when `id` is no live bot.
   */
  revoke(id: string): Promise<string | undefined> {
    return this.sql.transaction(async (tx) => {
      const gone = await tx.rows(`DELETE FROM bot_tokens WHERE user_id = $1 RETURNING user_id`, [id]);
      if (gone.length === 0) return undefined;
      const user = await tx.one<{ username: string }>(
        `UPDATE users SET banned_at = coalesce(banned_at, now()) WHERE id = $1 RETURNING username`,
        [id],
      );
      return user!.username;
    });
  }
}
