import { Injectable } from '@nestjs/common';
import { channelAccess, type AccessVerdict, type ChannelAction } from '@chat/domain';
import type { Principal } from '@chat/security';
import { AccessErrors } from './access.errors';
import { AccessRepository } from './access.repository';

/** What an access decision about a file needs to know of it. */
export interface FileRef {
  channelId: string;
  uploadedBy: string;
}

/**
 * The media service's side of the one channel access rule (@chat/domain `channelAccess`, shared
 * with the gateway), decided per request from the memberships table (no cache), so removing someone
 * from a channel takes their access to its files away at once.
 */
@Injectable()
export class AccessService {
  constructor(private readonly access: AccessRepository) {}

  /**
   * Uploading into a channel takes membership. A channel the caller cannot see is 404, so its
   * existence does not leak; one they can see without being in it (a public one, or a private one
   * for staff) is 403.
   */
  async assertCanPost(user: Principal, channelId: string): Promise<void> {
    const verdict = await this.decide(user, channelId, 'upload');
    if (verdict.allowed) return;
    if (verdict.code === 'NOT_FOUND') throw AccessErrors.channelNotFound();
    if (verdict.reason === 'archived') throw AccessErrors.archived();
    throw verdict.reason === 'join-first' ? AccessErrors.joinFirst() : AccessErrors.notMember();
  }

  /** Files are readable by their uploader and by the current members of their channel. */
  async canRead(user: Principal, file: FileRef): Promise<boolean> {
    return file.uploadedBy === user.id || (await this.decide(user, file.channelId, 'download')).allowed;
  }

  /**
   * Deleting a file: its uploader, or whoever the rule lets delete others' files (moderators and
   * admins). The verdict says how to refuse everyone else.
   */
  async canDelete(user: Principal, file: FileRef): Promise<AccessVerdict> {
    if (file.uploadedBy === user.id) return { allowed: true };
    return this.decide(user, file.channelId, 'delete-file');
  }

  private async decide(user: Principal, channelId: string, action: ChannelAction): Promise<AccessVerdict> {
    return channelAccess(user.roles, await this.access.channelFacts(channelId, user.id), action);
  }
}
