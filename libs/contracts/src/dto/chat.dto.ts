import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import { LowerCaseId } from './ids';
import { LIMITS } from '../limits';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateChannelDto {
  @ApiProperty({ example: 'general', description: '1–80 characters' })
  @Transform(trim)
  @IsString()
  @Length(1, LIMITS.channelNameMax)
  name: string;

  @ApiProperty({ enum: ['public', 'private'] })
  @IsIn(['public', 'private'])
  kind: 'public' | 'private';

  @ApiPropertyOptional({ example: 'Company-wide announcements' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.topicMax)
  topic?: string;
}

export class UpdateChannelDto {
  @ApiPropertyOptional()
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, LIMITS.channelNameMax)
  name?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.topicMax)
  topic?: string;
}

export class UserIdDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseId()
  @IsUUID()
  userId: string;
}

export class MessageBodyDto {
  @ApiProperty({ description: '1–4000 characters after trimming' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(LIMITS.messageBodyMax)
  body: string;
}

export class SendMessageDto extends MessageBodyDto {
  @ApiPropertyOptional({ description: 'Idempotency key, unique per author, up to 64 characters' })
  @IsOptional()
  @IsString()
  @Length(1, LIMITS.clientIdMax)
  clientId?: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'Up to 10 files uploaded by the author to this channel',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIMITS.attachmentsMax)
  @ArrayUnique()
  @LowerCaseId()
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

/** `message:send` payload. */
export class SendMessageCommand extends SendMessageDto {
  @LowerCaseId()
  @IsUUID()
  channelId: string;
}

/** `message:edit` payload. */
export class EditMessageCommand extends MessageBodyDto {
  @LowerCaseId()
  @IsUUID()
  messageId: string;
}

/** `message:delete` payload. */
export class DeleteMessageCommand {
  @LowerCaseId()
  @IsUUID()
  messageId: string;
}

/** Seqs are bigints read into JS numbers: past the safe-integer range a value is not a seq. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;

export class ReadMarkerDto {
  @ApiProperty({ minimum: 0, description: 'Seqs up to this one are read' })
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  seq: number;
}

/** `channel:read` payload. */
export class ReadChannelCommand extends ReadMarkerDto {
  @LowerCaseId()
  @IsUUID()
  channelId: string;
}

/** `channel:sync` payload. */
export class SyncChannelCommand {
  @LowerCaseId()
  @IsUUID()
  channelId: string;

  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  afterSeq: number;

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(LIMITS.pageLimitMax)
  limit?: number;
}

/** `typing` payload. */
export class TypingCommand {
  @LowerCaseId()
  @IsUUID()
  channelId: string;

  @IsBoolean()
  typing: boolean;
}

/** `presence:subscribe` payload: the users this socket shows (duplicates are harmless). */
export class PresenceSubscribeCommand {
  @IsArray()
  @ArrayMaxSize(LIMITS.presenceSubscriptionsMax)
  @LowerCaseId()
  @IsUUID('all', { each: true })
  userIds: string[];
}

export class HistoryQueryDto {
  @ApiPropertyOptional({ description: 'Only messages with seq below this' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  before?: number;

  @ApiPropertyOptional({ description: 'Only messages with seq above this' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_SEQ)
  after?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIMITS.pageLimitMax)
  limit?: number;
}

export class ChannelSearchQueryDto {
  @ApiPropertyOptional({ description: 'Name prefix or substring' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.channelNameMax)
  q?: string;
}

export class UserSearchQueryDto {
  @ApiPropertyOptional({ description: 'Username prefix' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.usernameMax)
  q?: string;
}

export class MessageSearchQueryDto {
  @ApiProperty({ description: 'Full-text query' })
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  q: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  channelId?: string;
}
