import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { LIMITS } from '../limits';
import { LowerCaseId } from './ids';

/** The paging of a staff list: after the last id of the page before; `limit` 1–100, default 50. */
class StaffPageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'The last id of the page before' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: LIMITS.pageLimitMax, default: LIMITS.pageLimitDefault })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIMITS.pageLimitMax)
  limit?: number;
}

/** `GET /channels/directory` (admins and moderators): public and private channels, by name. */
export class ChannelDirectoryQueryDto extends StaffPageQuery {
  @ApiPropertyOptional({ description: 'Case-insensitive substring of the name' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.channelNameMax)
  q?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only archived (true) or live (false) ones' })
  @IsOptional()
  @IsIn(['true', 'false'])
  archived?: 'true' | 'false';
}

/** `PUT /channels/:id/owner` (admins and moderators): a current member becomes the owner. */
export class ChannelOwnerDto {
  @ApiProperty({ format: 'uuid', description: 'A member of the channel' })
  @LowerCaseId()
  @IsUUID()
  userId: string;
}

/** `GET /hooks` (admins): every channel's webhooks, newest first. */
export class WebhookOverviewQueryDto extends StaffPageQuery {}
