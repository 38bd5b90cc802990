import { Injectable, Logger } from '@nestjs/common';
import { MessageGate } from './message-gate';
import { MessageReader } from './message.reader';

/**
 * `message:updated` after a commit that changed a message (an edit, a pin, a thread root's reply
 * count), so that no socket ever sees an older state of a message after a newer one. Every such
 * commit stamps `updated_at = clock_timestamp()` under the message's row lock, so the stamp grows
 * in commit order; the message is read back after the commit with its stamp, and the push goes
 * through the message's gate (MessageGate) with the stamp as its version. Two commits on two
 * replicas read back and publish in a race: a push older than one already sent is dropped, and
 * nothing is lost by that, since the newer push was read after both commits.
 */
@Injectable()
export class MessageUpdates {
  private readonly logger = new Logger(MessageUpdates.name);

  constructor(
    private readonly gate: MessageGate,
    private readonly reader: MessageReader,
  ) {}

  /** Reads the message after a commit and pushes it in the background; never fails. */
  announce(messageId: string): void {
    this.publish(messageId).catch((err: unknown) =>
      this.logger.warn({ err, messageId }, 'message:updated not pushed (clients catch up with channel:sync)'),
    );
  }

  /** Reads the message after a commit and pushes it; resolves once it went out or was superseded. */
  private async publish(messageId: string): Promise<void> {
    const read = await this.reader.byIdVersioned(messageId);
    if (!read || read.message.deleted) return;
    await this.gate.publish(read.message.channelId, messageId, read.version, 'message:updated', read.message);
  }
}
