import { Injectable, Logger } from '@nestjs/common';
import type { Message } from '@chat/contracts';
import { OutgoingWebhooksRepository } from './outgoing-webhooks.repository';

/**
 * Queues message:updated and message:deleted for the channel's outgoing webhooks, after the commit
 * that made the change, on the replica that made it (message:new needs no such call: the delivery
 * worker reads new messages from the channel by seq). Fire and forget: the edit or delete has
 * already succeeded, and a failure here is logged rather than turned into the caller's error.
 */
@Injectable()
export class OutgoingWebhookEvents {
  private readonly logger = new Logger(OutgoingWebhookEvents.name);

  constructor(private readonly repo: OutgoingWebhooksRepository) {}

  /** A message's body was edited; `message` is its state read after the commit. */
  updated(message: Message): void {
    this.queue(message.channelId, 'message:updated', message.seq, message);
  }

  /** A message was deleted (its tombstone keeps the seq). */
  deleted(event: { id: string; channelId: string; seq: number }): void {
    this.queue(event.channelId, 'message:deleted', event.seq, {
      id: event.id,
      channelId: event.channelId,
      seq: event.seq,
    });
  }

  private queue(channelId: string, event: string, seq: number, payload: object): void {
    this.repo
      .enqueue(channelId, event, seq, payload)
      .catch((err: unknown) =>
        this.logger.error({ err, channelId, event, seq }, 'outgoing webhook event not queued'),
      );
  }
}
