import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { FileEntity } from '@chat/database';
import { AppError } from '@chat/platform';
import type { Principal } from '@chat/security';

/**
 * Who may see and post files, decided per request from the memberships table (no cache), so
 * removing someone from a channel takes their access to its files away at once.
 */
@Injectable()
export class AccessService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async isMember(userId: string, channelId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      'SELECT 1 FROM memberships WHERE channel_id = $1 AND user_id = $2',
      [channelId, userId],
    );
    return rows.length > 0;
  }

  /**
   * Uploading into a channel takes membership. A channel the caller cannot see is 404, so its
   * existence does not leak; a public one they have not joined is visible anyway, so 403 there.
   */
  async assertCanPost(user: Principal, channelId: string): Promise<void> {
    const rows: { kind: string; member: boolean }[] = await this.db.query(
      `SELECT c.kind,
              EXISTS (SELECT 1 FROM memberships m WHERE m.channel_id = c.id AND m.user_id = $2) AS member
         FROM channels c WHERE c.id = $1`,
      [channelId, user.id],
    );
    const channel = rows[0];
    if (channel?.member) return;
    if (channel?.kind === 'public')
      throw new AppError('FORBIDDEN', 'Join the channel before uploading to it');
    throw new AppError('NOT_FOUND', 'No such channel');
  }

  /** Files are readable by their uploader and by the current members of their channel. */
  async canRead(user: Principal, file: Pick<FileEntity, 'uploadedBy' | 'channelId'>): Promise<boolean> {
    return file.uploadedBy === user.id || this.isMember(user.id, file.channelId);
  }
}
