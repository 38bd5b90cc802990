import { Injectable } from '@nestjs/common';
import { Sql } from '@chat/database';

/** The one statement every service runs about a bot token: whose is it (auth writes them). */
@Injectable()
export class BotTokenRepository {
  constructor(private readonly sql: Sql) {}

  /** The bot holding the token with this SHA-256 hash; undefined when none does (any more). */
  async userIdFor(tokenHash: Buffer): Promise<string | undefined> {
    const row = await this.sql.one<{ user_id: string }>(
      'SELECT user_id FROM bot_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return row?.user_id;
  }
}
