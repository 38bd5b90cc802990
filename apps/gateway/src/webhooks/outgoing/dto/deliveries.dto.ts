import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { WebhookDelivery } from '@chat/contracts';

/** Deliveries one `GET .../deliveries` answers at most. */
export const DELIVERIES_PAGE_MAX = 100;

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: DELIVERIES_PAGE_MAX, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(DELIVERIES_PAGE_MAX)
  limit?: number;
}

export class WebhookDeliveryResponse implements WebhookDelivery {
  @ApiProperty({ format: 'uuid', description: 'The X-Chat-Delivery id' }) id: string;
  @ApiProperty({ example: 'message:new' }) event: string;
  @ApiProperty() seq: number;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: 'pending' | 'delivered' | 'failed';
  @ApiProperty() attempts: number;
  @ApiProperty({ type: Number, nullable: true }) lastStatus: number | null;
  @ApiProperty({ type: String, nullable: true }) lastError: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deliveredAt: string | null;
}

export class WebhookDeliveriesResponse {
  @ApiProperty({ type: [WebhookDeliveryResponse] }) deliveries: WebhookDelivery[];
}
