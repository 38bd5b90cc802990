import { Injectable } from '@nestjs/common';
import type { AppError } from '@chat/platform';
import { channelAccess, type AccessRefusal, type AccessVerdict, type ChannelAction } from '@chat/domain';
import type { Principal } from '@chat/security';
import { ChannelErrors } from './channels.errors';
import { ChannelsRepository, type ChannelAccessRow } from './channels.repository';

/** A channel as far as authorization needs it, with the caller's membership. */
export type ChannelRef = ChannelAccessRow;

export type MemberChannelRef = ChannelRef & { role: NonNullable<ChannelRef['role']> };

/**
 * The gateway's side of the one channel access rule (@chat/domain `channelAccess`, shared with the
 * media service): reads the caller's membership, asks the rule, and words a refusal in this
 * context's errors. Decided per call from the database (no cache), so a removal applies at once.
 */
@Injectable()
export class ChannelAccess {
  constructor(private readonly channels: ChannelsRepository) {}

  /** The channel if the caller may do `action` in it; its refusal otherwise. */
  async check(user: Principal, channelId: string, action: ChannelAction): Promise<ChannelRef> {
    const ref = await this.channels.accessOf(channelId, user.id);
    const verdict = decide(user, ref, action);
    if (!verdict.allowed) throw refusal(verdict);
    return ref as ChannelRef;
  }

  /** The channel if the caller may know it exists; NOT_FOUND otherwise. */
  visible(user: Principal, channelId: string): Promise<ChannelRef> {
    return this.check(user, channelId, 'see');
  }

  /** The channel if the caller is a member: history, sending, typing, read markers, member lists. */
  async member(user: Principal, channelId: string): Promise<MemberChannelRef> {
    return (await this.check(user, channelId, 'read')) as MemberChannelRef;
  }

  /** Whether the caller may do `action` in a channel already read. */
  allows(user: Principal, ref: ChannelRef, action: ChannelAction): boolean {
    return decide(user, ref, action).allowed;
  }

  /** The refusal for `action` in a channel already read; null when it is allowed. */
  refusal(user: Principal, ref: ChannelRef, action: ChannelAction): AppError | null {
    const verdict = decide(user, ref, action);
    return verdict.allowed ? null : refusal(verdict);
  }

  /** Why `action` is refused in a channel already read; null when it is allowed. */
  reason(user: Principal, ref: ChannelRef, action: ChannelAction): AccessRefusal | null {
    const verdict = decide(user, ref, action);
    return verdict.allowed ? null : verdict.reason;
  }
}

function decide(user: Principal, ref: ChannelRef | undefined, action: ChannelAction): AccessVerdict {
  return channelAccess(
    user.roles,
    ref ? { kind: ref.kind, membership: ref.role, archived: ref.archived } : null,
    action,
  );
}

function refusal(verdict: Exclude<AccessVerdict, { allowed: true }>): AppError {
  switch (verdict.reason) {
    case 'hidden':
      return ChannelErrors.notFound();
    case 'join-first':
      return ChannelErrors.joinFirst();
    case 'not-member':
      return ChannelErrors.notMember();
    case 'dm-fixed':
      return ChannelErrors.dmFixed();
    case 'not-manager':
      return ChannelErrors.notManager();
    case 'not-staff':
      return ChannelErrors.notStaff();
    case 'archived':
      return ChannelErrors.archived();
  }
}
