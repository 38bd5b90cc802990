import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  IsOptional,
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
} from 'class-validator';
import { LIMITS } from '../limits';
import { AUDIT_ACTIONS, ROLES, type AccountStatus, type AuditAction, type Role } from '../objects';
import { LowerCaseId } from './ids';

const ACCOUNT_STATUSES: readonly AccountStatus[] = ['active', 'banned', 'deactivated'];
/** Long enough for any ISO-8601 time with a fraction and an offset; longer is not a time. */
const ISO_TIME_MAX = 40;

/** The `limit` of an admin page: 1–100, default 50 (LIMITS.pageLimitDefault). */
class AdminPageQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: LIMITS.pageLimitMax, default: LIMITS.pageLimitDefault })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(LIMITS.pageLimitMax)
  limit?: number;
}

/** `GET /auth/users` (admins and moderators). */
export class UserListQueryDto extends AdminPageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'The last user id of the page before' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the username' })
  @IsOptional()
  @IsString()
  @MaxLength(LIMITS.usernameMax)
  q?: string;

  @ApiPropertyOptional({ enum: ACCOUNT_STATUSES })
  @IsOptional()
  @IsIn(ACCOUNT_STATUSES)
  status?: AccountStatus;

  @ApiPropertyOptional({ enum: ROLES })
  @IsOptional()
  @IsIn(ROLES)
  role?: Role;
}

/** `until`, when both are given, is not before `since`. */
const NotBeforeSince = () =>
  ValidateBy({
    name: 'notBeforeSince',
    validator: {
      validate: (until: unknown, args?: ValidationArguments) => {
        const since = (args?.object as { since?: unknown } | undefined)?.since;
        if (typeof since !== 'string' || typeof until !== 'string') return true;
        return Date.parse(since) <= Date.parse(until);
      },
      defaultMessage: () => 'until must not be before since',
    },
  });

/** A strict ISO-8601 time (a date alone means its midnight, UTC). */
const IsIsoTime = () => IsISO8601({ strict: true, strictSeparator: true });

/** `GET /auth/audit` (admins): newest first. */
export class AuditQueryDto extends AdminPageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'The last event id of the page before' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  after?: string;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS })
  @IsOptional()
  @IsIn(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({ format: 'uuid', description: 'Who did it' })
  @IsOptional()
  @LowerCaseId()
  @IsUUID()
  actorId?: string;

  @ApiPropertyOptional({
    description:
      "What it was done to: a user's, channel's, message's or webhook's id, or `sign-in` (settings)",
  })
  @IsOptional()
  @LowerCaseId()
  @IsString()
  @MaxLength(64)
  // A UUID, or the name of a one-of-a-kind target (letters first, so a mangled UUID is refused).
  @Matches(/^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z][a-z0-9-]*)$/, {
    message: 'targetId must be a UUID or a settings name such as sign-in',
  })
  targetId?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'At or after this time' })
  @IsOptional()
  @IsString()
  @MaxLength(ISO_TIME_MAX)
  @IsIsoTime()
  since?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Before this time; not before `since`' })
  @IsOptional()
  @IsString()
  @MaxLength(ISO_TIME_MAX)
  @IsIsoTime()
  @NotBeforeSince()
  until?: string;
}

/** Present means a boolean: null is refused rather than read as "unchanged". */
const OptionalFlag = () => ValidateIf((_: object, value: unknown) => value !== undefined);

/** `PUT /auth/settings/sign-in` (admins): at least one field. */
export class UpdateSignInSettingsDto {
  @ApiPropertyOptional({ description: 'Password login and registration' })
  @OptionalFlag()
  @IsBoolean()
  passwordLogin?: boolean;

  @ApiPropertyOptional({ description: 'OIDC: an unknown `sub` gets an account on first login' })
  @OptionalFlag()
  @IsBoolean()
  oidcCreateAccounts?: boolean;

  @ApiPropertyOptional({ description: 'Every account must enable TOTP' })
  @OptionalFlag()
  @IsBoolean()
  requireTotp?: boolean;
}
