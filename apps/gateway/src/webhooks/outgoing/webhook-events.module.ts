import { Module } from '@nestjs/common';
import { OutgoingWebhookEvents } from './outgoing-webhook-events';
import { OutgoingWebhooksRepository } from './outgoing-webhooks.repository';

/**
 * The one thing the messages context calls into: queueing edits and deletes for outgoing webhooks.
 * Apart from OutgoingWebhooksModule, which reads messages (and so imports MessagesModule), so that
 * neither module needs the other.
 */
@Module({
  providers: [OutgoingWebhookEvents, OutgoingWebhooksRepository],
  exports: [OutgoingWebhookEvents],
})
export class WebhookEventsModule {}
