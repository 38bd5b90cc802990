import { Injectable } from '@nestjs/common';
import type { Principal } from '@chat/security';
import { ChannelAccess } from '../../channels/channel-access';
import type { WebhookDelivery } from '@chat/contracts';
import { OutgoingWebhookErrors } from './outgoing-webhooks.errors';
import { OutgoingWebhooksRepository, type DeliveryLogRow } from './outgoing-webhooks.repository';

const DELIVERIES_PAGE_DEFAULT = 50;

/** What the owners of a channel see of its outgoing webhooks' deliveries. */
@Injectable()
export class OutgoingWebhooksService {
  constructor(
    private readonly repo: OutgoingWebhooksRepository,
    private readonly access: ChannelAccess,
  ) {}

  /** The webhook's latest events, newest first: the channel's owner, moderators and admins. */
  async deliveries(
    user: Principal,
    channelId: string,
    webhookId: string,
    limit = DELIVERIES_PAGE_DEFAULT,
  ): Promise<{ deliveries: WebhookDelivery[] }> {
    await this.access.check(user, channelId, 'moderate');
    if (!(await this.repo.isOutgoingOf(channelId, webhookId))) throw OutgoingWebhookErrors.notFound();
    return { deliveries: (await this.repo.recent(webhookId, limit)).map(toDeliveryDto) };
  }
}

function toDeliveryDto(row: DeliveryLogRow): WebhookDelivery {
  return {
    id: row.id,
    event: row.event,
    seq: row.seq,
    status: row.deliveredAt ? 'delivered' : row.failedAt ? 'failed' : 'pending',
    attempts: row.attempts,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}
