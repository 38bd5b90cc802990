import { Injectable } from '@nestjs/common';
import { canonicalEmoji, isReactionEmoji, LIMITS, type Reaction } from '@chat/contracts';
import type { Principal } from '@chat/security';
import { MessageAccess } from './message-access';
import { MessageGate } from './message-gate';
import { MessageErrors } from './messages.errors';
import { ReactionsRepository } from './reactions.repository';

/**
 * Reactions: members of a message's channel add and remove theirs, idempotently. A message's
 * reactions change one transaction at a time (its row is locked), so concurrent reactions all
 * count and the distinct-emoji cap holds on every replica. Each change is pushed after commit as
 * `message:reactions` with the message's whole list, so a client replaces rather than patches.
 */
@Injectable()
export class ReactionsService {
  constructor(
    private readonly reactions: ReactionsRepository,
    private readonly messageAccess: MessageAccess,
    private readonly gate: MessageGate,
  ) {}

  /**
   * Adds the caller's reaction; a no-op when they already reacted so. A new emoji on a message that
   * carries LIMITS.reactionsPerMessageMax different ones already is CONFLICT.
   */
  async add(user: Principal, messageId: string, sent: string): Promise<void> {
    if (!isReactionEmoji(sent)) throw MessageErrors.badEmoji();
    const emoji = canonicalEmoji(sent);
    const { row } = await this.messageAccess.writable(user, messageId);
    const max = LIMITS.reactionsPerMessageMax;
    const reactions = await this.reactions.transaction(async (tx) => {
      if (!(await tx.lockLive(messageId))) throw MessageErrors.notFound();
      const outcome = await tx.add(messageId, user.id, emoji, max);
      if (outcome === 'full') throw MessageErrors.tooManyReactions(max);
      if (outcome === 'present') return null;
      return { version: await tx.touch(messageId), list: await tx.of(messageId) };
    });
    if (reactions) await this.announce(messageId, row.channel_id, reactions);
  }

  /** Removes the caller's reaction; a no-op when they had not reacted so. */
  async remove(user: Principal, messageId: string, sent: string): Promise<void> {
    if (!isReactionEmoji(sent)) throw MessageErrors.badEmoji();
    const emoji = canonicalEmoji(sent);
    const { row } = await this.messageAccess.writable(user, messageId);
    const reactions = await this.reactions.transaction(async (tx) => {
      if (!(await tx.lockLive(messageId))) throw MessageErrors.notFound();
      if (!(await tx.remove(messageId, user.id, emoji))) return null;
      return { version: await tx.touch(messageId), list: await tx.of(messageId) };
    });
    if (reactions) await this.announce(messageId, row.channel_id, reactions);
  }

  /**
   * Read inside the transaction that changed them: the list as of that commit, pushed through the
   * message's gate so a socket never gets an older list after a newer one (two reactions committed
   * on two replicas publish in a race). A push that fails is caught up by channel:sync.
   */
  private async announce(
    messageId: string,
    channelId: string,
    reactions: { version: number; list: Reaction[] },
  ): Promise<void> {
    await this.gate
      .publish(channelId, messageId, reactions.version, 'message:reactions', {
        messageId,
        channelId,
        reactions: reactions.list,
      })
      .catch(() => undefined);
  }
}
