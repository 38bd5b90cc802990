import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Matches,
  Min,
  MinLength,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { LowerCaseId } from './ids';
import { LIMITS } from '../limits';
import { isReactionEmoji } from '../reaction-emoji';
import { NOTIFY_LEVELS, WEBHOOK_EVENTS, type NotifyLevel, type WebhookEventName } from '../objects';

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

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Reply in this thread: a live message of the same channel (a reply means its root)',
  })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  threadId?: string;
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

/** Longer than any ISO-8601 time: checked before the date parser sees it. */
const ISO_TIME_MAX = 40;

/** One Unicode emoji or a `:short_name:` (see isReactionEmoji). */
export const IsReactionEmoji = () =>
  ValidateBy({
    name: 'isReactionEmoji',
    validator: {
      validate: (value) => isReactionEmoji(value),
      defaultMessage: () =>
        'emoji must be one Unicode emoji (a single grapheme of at most 32 bytes) or a :short_name: of [a-z0-9_+-]{1,32}',
    },
  });

/** `reaction:add` / `reaction:remove` payload. */
export class ReactionCommand {
  @LowerCaseId()
  @IsUUID()
  messageId: string;

  @IsReactionEmoji()
  emoji: string;
}

/** `POST /channels/:id/pins` body. */
export class PinMessageDto {
  @ApiProperty({ format: 'uuid', description: 'A message of this channel, not deleted' })
  @LowerCaseId()
  @IsUUID()
  messageId: string;
}

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

/** `thread:read` payload: `threadId` is the root or a reply of it. */
export class ReadThreadCommand extends ReadMarkerDto {
  @LowerCaseId()
  @IsUUID()
  threadId: string;
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

  /** The previous sync's `syncedAt`: also answer what changed since then up to `afterSeq`. */
  @IsOptional()
  @IsString()
  @MaxLength(ISO_TIME_MAX)
  @IsISO8601({ strict: true, strictSeparator: true })
  changedSince?: string;
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

  @ApiPropertyOptional({
    minimum: 1,
    description:
      'Permalinks: the page centred on this seq (it included when it exists), with hasMoreBefore/hasMoreAfter; not with before/after',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SEQ)
  around?: number;
}

/** A query flag: `1`/`true` or `0`/`false`. */
const flag = ({ value }: { value: unknown }): unknown =>
  value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value;

/** `GET /channels/:id/messages` adds `roots` to the history query. */
export class ChannelHistoryQueryDto extends HistoryQueryDto {
  @ApiPropertyOptional({ enum: ['1', '0', 'true', 'false'], description: 'Top-level messages only' })
  @IsOptional()
  @Transform(flag)
  @IsBoolean()
  roots?: boolean;
}

/** `GET /messages/:id/replies`: the history query's `after` and `limit` (a thread reads forward). */
export class RepliesQueryDto extends PickType(HistoryQueryDto, ['after', 'limit'] as const) {}

/** Threads one page of `GET /users/me/threads` holds at most. */
export const THREAD_PAGE_MAX = 50;

export class ThreadListQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: THREAD_PAGE_MAX, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(THREAD_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: "The previous page's `next` cursor" })
  @IsOptional()
  @IsString()
  @MaxLength(80)
  before?: string;
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
  @ApiPropertyOptional({ description: 'Full-text query; may be left out when a filter is given' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, 200)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  channelId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only messages by this user' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only messages sent before this time' })
  @IsOptional()
  @IsString()
  @MaxLength(ISO_TIME_MAX)
  @IsISO8601({ strict: true, strictSeparator: true })
  before?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only messages sent after this time' })
  @IsOptional()
  @IsString()
  @MaxLength(ISO_TIME_MAX)
  @IsISO8601({ strict: true, strictSeparator: true })
  after?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "Only replies in this thread (the root's id)" })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  threadId?: string;

  @ApiPropertyOptional({ enum: ['file'], description: 'Only messages with an attachment' })
  @IsOptional()
  @IsIn(['file'])
  has?: 'file';
}

/** `PUT /channels/:id/preferences` body: either field alone changes only itself. */
export class ChannelPreferencesDto {
  @ApiPropertyOptional({ enum: NOTIFY_LEVELS, description: 'Which new messages notify you here' })
  @IsOptional()
  @IsIn(NOTIFY_LEVELS)
  notify?: NotifyLevel;

  @ApiPropertyOptional({ description: 'No notifications from this channel at all' })
  @IsOptional()
  @IsBoolean()
  muted?: boolean;
}

/** A push service URL, bounded; the gateway also requires https on a public host (push-endpoint.ts). */
const PUSH_ENDPOINT_MAX = 2048;

export class PushSubscriptionKeysDto {
  @ApiProperty({ description: "The browser's P-256 public key, base64url (65 bytes decoded)" })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{86,88}={0,2}$/, { message: 'keys.p256dh must be a base64url P-256 public key' })
  p256dh: string;

  @ApiProperty({ description: 'The 16-byte authentication secret, base64url' })
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{21,24}={0,2}$/, { message: 'keys.auth must be a base64url 16-byte secret' })
  auth: string;
}

/** `POST /push/subscriptions` body: a browser's PushSubscription.toJSON(). */
export class PushSubscriptionDto {
  @ApiProperty({ example: 'https://fcm.googleapis.com/fcm/send/…', maxLength: PUSH_ENDPOINT_MAX })
  @IsString()
  @MaxLength(PUSH_ENDPOINT_MAX)
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false })
  endpoint: string;

  @ApiProperty({ type: PushSubscriptionKeysDto })
  @IsObject()
  @ValidateNested()
  @Type(() => PushSubscriptionKeysDto)
  keys: PushSubscriptionKeysDto;
}

/** `DELETE /push/subscriptions` body. */
export class PushUnsubscribeDto {
  @ApiProperty({ maxLength: PUSH_ENDPOINT_MAX })
  @IsString()
  @MaxLength(PUSH_ENDPOINT_MAX)
  endpoint: string;
}

export const WEBHOOK_TEXT_MAX = LIMITS.messageBodyMax;

/** `POST /channels/:id/webhooks`: incoming without `url`, outgoing with `url` and `events`. */
export class CreateWebhookDto {
  @ApiProperty({ example: 'CI', minLength: 1, maxLength: 64 })
  @Transform(trim)
  @IsString()
  @Length(1, 64)
  name: string;

  @ApiPropertyOptional({ example: 'https://ci.example.com/chat-events', description: 'Outgoing only' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ enum: WEBHOOK_EVENTS, isArray: true, description: 'Outgoing only' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events?: WebhookEventName[];
}

/** `POST /hooks/:id/:secret` body. */
export class IncomingWebhookMessageDto {
  @ApiProperty({ example: 'Build #42 passed', maxLength: WEBHOOK_TEXT_MAX })
  @Transform(trim)
  @IsString()
  @MinLength(1, { message: 'text must be 1–4000 characters after trimming' })
  @MaxLength(WEBHOOK_TEXT_MAX, { message: 'text must be 1–4000 characters after trimming' })
  text: string;
}
