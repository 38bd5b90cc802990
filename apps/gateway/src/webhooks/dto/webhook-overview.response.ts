import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENTS, type WebhookOverview, type WebhookOverviewPage } from '@chat/contracts';

/** OpenAPI shape of one webhook of the admin overview: never a secret. */
export class WebhookOverviewResponse implements WebhookOverview {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) channelId: string;
  @ApiProperty({ description: "The channel's name now" }) channelName: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['incoming', 'outgoing'] }) kind: 'incoming' | 'outgoing';
  @ApiProperty({ type: String, nullable: true, description: 'Always null: the secret URL is shown once' })
  url: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Outgoing: where events are delivered' })
  targetUrl: string | null;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true, description: 'Outgoing: the events delivered' })
  events: string[];
  @ApiProperty({ format: 'uuid' }) createdBy: string;
  @ApiProperty({ type: String, nullable: true, description: "The creator's username now" })
  createdByUsername: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class WebhookOverviewPageResponse implements WebhookOverviewPage {
  @ApiProperty({ type: [WebhookOverviewResponse] }) webhooks: WebhookOverviewResponse[];
  @ApiProperty({ description: 'Whether older webhooks follow the last one' }) hasMore: boolean;
}
