import type { Webhook } from '@chat/contracts';
import type { WebhookRow } from './webhooks.repository';

/** The only way a webhook leaves the service: a whitelist (no secret, no hash). */
export function toWebhookDto(row: WebhookRow, url: string | null = null): Webhook {
  return {
    id: row.id,
    channelId: row.channelId,
    name: row.name,
    kind: row.kind,
    url,
    targetUrl: row.targetUrl,
    events: [...row.events],
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
  };
}
