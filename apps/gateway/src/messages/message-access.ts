import { Injectable } from '@nestjs/common';
import { AppError } from '@chat/platform';
import type { Principal } from '@chat/security';
import { ChannelAccess, type ChannelRef } from '../channels/channel-access';
import { MessageReader } from './message.reader';
import { MessageErrors } from './messages.errors';
import type { StoredMessageRow } from './messages.repository';

/** A message and its channel as the caller may see them. */
export interface VisibleMessage {
  row: StoredMessageRow;
  channel: ChannelRef;
}

/** Who may know of a message: the one rule for every command that names a message by id. */
@Injectable()
export class MessageAccess {
  constructor(
    private readonly reader: MessageReader,
    private readonly access: ChannelAccess,
  ) {}

  /** The message if its channel is visible to the caller; NOT_FOUND (about the message) otherwise. */
  async visible(user: Principal, messageId: string): Promise<VisibleMessage> {
    const row = await this.reader.row(messageId);
    if (!row) throw MessageErrors.notFound();
    try {
      return { row, channel: await this.access.visible(user, row.channel_id) };
    } catch (err) {
      if (err instanceof AppError && err.code === 'NOT_FOUND') throw MessageErrors.notFound();
      throw err;
    }
  }

  /**
   * The message if the caller is a member of its channel and it is not deleted: NOT_FOUND for a
   * message they may not know of or that is deleted, FORBIDDEN in a visible channel they have not
   * joined.
   */
  async readable(user: Principal, messageId: string): Promise<VisibleMessage> {
    const found = await this.visible(user, messageId);
    const refusal = this.access.refusal(user, found.channel, 'read');
    if (refusal) throw refusal;
    if (found.row.deleted_at) throw MessageErrors.notFound();
    return found;
  }

  /** A readable message whose channel takes changes: FORBIDDEN in an archived channel. */
  async writable(user: Principal, messageId: string): Promise<VisibleMessage> {
    const found = await this.readable(user, messageId);
    const refusal = this.access.refusal(user, found.channel, 'post');
    if (refusal) throw refusal;
    return found;
  }
}
