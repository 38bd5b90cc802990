import { Injectable } from '@nestjs/common';
import type { ChannelKind, MemberRole } from '@chat/contracts';
import { Sql } from '@chat/database';
import type { ChannelFacts } from '@chat/domain';

/** What the media service reads of channels and memberships: only what access decisions need. */
@Injectable()
export class AccessRepository {
  constructor(private readonly sql: Sql) {}

  /** The channel's kind, the user's membership in it and its archival; null when there is no such channel. */
  async channelFacts(channelId: string, userId: string): Promise<ChannelFacts | null> {
    const row = await this.sql.one<{ kind: ChannelKind; role: MemberRole | null; archived: boolean }>(
      `SELECT c.kind, m.role, c.archived_at IS NOT NULL AS archived
         FROM channels c LEFT JOIN memberships m ON m.channel_id = c.id AND m.user_id = $2
        WHERE c.id = $1`,
      [channelId, userId],
    );
    return row ? { kind: row.kind, membership: row.role, archived: row.archived } : null;
  }
}
