import { Injectable, Logger } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { MessageGate } from './message-gate';
import { MessageReader } from './message.reader';

/** Re-reads of a root whose read lost the race before giving up (the winner carried newer state). */
const STALE_RETRIES = 2;

/**
 * `message:updated` for thread roots, whose `replyCount` must never go backwards on a socket.
 * Replies on two replicas commit in one order but their read-backs and publishes race; each push
 * goes through the message's gate (MessageGate) with its replyCount as the version, and the loser
 * re-reads the root (which by then holds at least the winner's count) so an edit made meanwhile is
 * not lost either.
 */
@Injectable()
export class RootFanout {
  private readonly logger = new Logger(RootFanout.name);

  constructor(
    private readonly gate: MessageGate,
    private readonly reader: MessageReader,
  ) {}

  /** Reads the root after a commit and pushes it in the background; never fails. */
  announce(rootId: string): void {
    this.publishFresh(rootId).catch((err: unknown) =>
      this.logger.warn({ err, rootId }, 'thread root not pushed (clients catch up with channel:sync)'),
    );
  }

  /** Pushes a root already read after a commit (an edit); never fails. */
  announceRead(root: Message): void {
    this.publish(root)
      .then(async (sent) => sent || (await this.publishFresh(root.id)))
      .catch((err: unknown) => this.logger.warn({ err, rootId: root.id }, 'thread root not pushed'));
  }

  private async publishFresh(rootId: string): Promise<void> {
    for (let attempt = 0; attempt <= STALE_RETRIES; attempt++) {
      const root = await this.reader.byId(rootId);
      if (!root || (await this.publish(root))) return;
    }
  }

  /** Whether the root went out (false: one with a higher replyCount went out before). */
  private publish(root: Message): Promise<boolean> {
    return this.gate.publish(root.channelId, root.id, root.replyCount, 'message:updated', root);
  }
}
