import { Injectable } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import type { Principal } from '@chat/security';
import { ChannelAccess, type ChannelRef } from '../channels/channel-access';
import { ChannelErrors } from '../channels/channels.errors';
import { MessageReader } from './message.reader';
import { MessageUpdates } from './message-updates';
import { MessageErrors } from './messages.errors';
import { PinsRepository } from './pins.repository';

/** Pinned messages one channel may hold: a pinned list is a short list of references, not an archive. */
export const PINS_PER_CHANNEL_MAX = 100;

/**
 * Pins. Who may pin or unpin: any member of a public channel (and staff); the owner and staff in a
 * private channel; both members of a DM (a DM has no owner, and staff cannot see it). Pinning and
 * unpinning are idempotent, pushed as `message:updated`; a deleted message is unpinned by its
 * deletion and cannot be pinned.
 */
@Injectable()
export class PinsService {
  constructor(
    private readonly pins: PinsRepository,
    private readonly access: ChannelAccess,
    private readonly reader: MessageReader,
    private readonly updates: MessageUpdates,
  ) {}

  /** The channel's pinned messages, newest pin first (members only). */
  async list(user: Principal, channelId: string): Promise<Message[]> {
    await this.access.member(user, channelId);
    return this.reader.pinned(channelId, PINS_PER_CHANNEL_MAX);
  }

  async pin(user: Principal, channelId: string, messageId: string): Promise<void> {
    await this.mayPin(user, channelId);
    const changed = await this.pins.transaction(async (tx) => {
      await tx.lockChannelPins(channelId);
      const target = await tx.target(channelId, messageId);
      if (!target || target.deleted) throw MessageErrors.notFound();
      if (target.pinned) return false;
      if ((await tx.count(channelId)) >= PINS_PER_CHANNEL_MAX)
        throw MessageErrors.tooManyPins(PINS_PER_CHANNEL_MAX);
      return tx.pin(channelId, messageId, user.id);
    });
    if (changed) this.updates.announce(messageId);
  }

  /** Unpins; 204 also for a message of the channel that is not pinned (or deleted, hence unpinned). */
  async unpin(user: Principal, channelId: string, messageId: string): Promise<void> {
    await this.mayPin(user, channelId);
    if (!(await this.pins.target(channelId, messageId))) throw MessageErrors.notFound();
    if (await this.pins.unpin(channelId, messageId)) this.updates.announce(messageId);
  }

  private async mayPin(user: Principal, channelId: string): Promise<ChannelRef> {
    const ref = await this.access.visible(user, channelId);
    // Members pin as they post, others as they moderate: an archived channel refuses both.
    if (this.access.reason(user, ref, 'post') === 'archived') throw ChannelErrors.archived();
    const member = ref.role !== null;
    if (ref.kind === 'dm' && member) return ref;
    if (ref.kind === 'public' && member) return ref;
    if (ref.kind !== 'dm' && this.access.allows(user, ref, 'moderate')) return ref;
    if (ref.kind === 'public') throw ChannelErrors.joinFirst();
    throw MessageErrors.mayNotPin();
  }
}
