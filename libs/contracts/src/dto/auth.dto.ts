import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { LIMITS } from '../limits';
import { ROLES, type Role } from '../objects';
import { IsTwoFactorCode, TWO_FACTOR_CODE_MAX } from './two-factor.dto';

export class RegisterDto {
  @ApiProperty({ example: 'alice', description: '3–32 of [A-Za-z0-9_.-], unique case-insensitively' })
  @IsString()
  @Length(LIMITS.usernameMin, LIMITS.usernameMax)
  @Matches(LIMITS.usernamePattern, { message: 'username may contain only letters, digits, _ . and -' })
  username: string;

  @ApiProperty({ example: 'correct horse battery', description: '8–128 characters' })
  @IsString()
  @Length(LIMITS.passwordMin, LIMITS.passwordMax)
  password: string;

  @ApiPropertyOptional({ example: 'alice@example.com' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;
}

export class LoginDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  @MaxLength(LIMITS.usernameMax)
  username: string;

  @ApiProperty()
  @IsString()
  @MaxLength(LIMITS.passwordMax)
  password: string;

  @ApiPropertyOptional({
    example: '123456',
    maxLength: TWO_FACTOR_CODE_MAX,
    description: 'Once two-factor is enabled: the authenticator code, or an unused recovery code',
  })
  @IsOptional()
  @IsTwoFactorCode()
  code?: string;
}

export class RefreshTokenDto {
  @ApiProperty({ description: 'The opaque refresh token from the last login or refresh' })
  @IsString()
  @MaxLength(256)
  refreshToken: string;
}

export class UpdateRolesDto {
  @ApiProperty({ enum: ROLES, isArray: true, example: ['member', 'moderator'] })
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];
}

/** `PATCH /auth/me`: `email` sets the address (a verification link is sent to it); null or "" clears it. */
export class UpdateMeDto {
  @ApiPropertyOptional({ example: 'alice@example.com', nullable: true, maxLength: 254 })
  @IsOptional()
  @ValidateIf((_, value) => value !== null && value !== '')
  @IsEmail()
  @MaxLength(254)
  email?: string | null;

  @ApiPropertyOptional({ description: 'Digest emails of unread notifications' })
  @IsOptional()
  @IsBoolean()
  emailNotifications?: boolean;
}

/** `POST /auth/bots` (admin). */
export class CreateBotDto {
  @ApiProperty({ example: 'ci-bot', description: 'Same rules as a person’s username' })
  @IsString()
  @Length(LIMITS.usernameMin, LIMITS.usernameMax)
  @Matches(LIMITS.usernamePattern, { message: 'username may contain only letters, digits, _ . and -' })
  username: string;
}
