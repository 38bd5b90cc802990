import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WEBHOOK_EVENTS } from '@chat/contracts';
import type { WebhookCreated } from '@chat/contracts';

/** OpenAPI shape of the contract's Webhook, as the creation answers it. */
export class WebhookResponse implements WebhookCreated {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) channelId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ['incoming', 'outgoing'] }) kind: 'incoming' | 'outgoing';
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'Incoming: the secret URL to POST { text } to, shown only in the creation answer; null after',
  })
  url: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Outgoing: where events are delivered' })
  targetUrl: string | null;
  @ApiProperty({ enum: WEBHOOK_EVENTS, isArray: true, description: 'Outgoing: the events delivered' })
  events: string[];
  @ApiProperty({ format: 'uuid' }) createdBy: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiPropertyOptional({
    description:
      'Outgoing, creation answer only: the key of X-Chat-Signature (HMAC-SHA256 of the body); shown once',
  })
  secret?: string;
}
