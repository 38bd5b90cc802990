import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { LIMITS } from '../limits';

/**
 * `DELETE /auth/me`: the account's password, or, for an account without one (single sign-on
 * only), its username typed out as `confirm`. One of the two is required.
 */
export class DeleteAccountDto {
  @ApiPropertyOptional({ description: 'The current password (accounts that have one)' })
  @ValidateIf((o: DeleteAccountDto) => o.confirm === undefined || o.password !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(LIMITS.passwordMax)
  password?: string;

  @ApiPropertyOptional({
    description: 'The username, typed out: how an account without a password (single sign-on) confirms',
  })
  @ValidateIf((o: DeleteAccountDto) => o.password === undefined || o.confirm !== undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(LIMITS.usernameMax)
  confirm?: string;

  @ApiPropertyOptional({
    description:
      'Delete every message of the account too (only where ACCOUNT_ERASE_MESSAGES is `allowed`); by default they stay, shown as "deleted user"',
  })
  @IsOptional()
  @IsBoolean()
  eraseMessages?: boolean;
}

/** `DELETE /auth/users/:id` (admin): the same erasure; the body may be left out. */
export class DeactivateUserDto {
  @ApiPropertyOptional({
    description: 'Delete every message of the account too (only where ACCOUNT_ERASE_MESSAGES is `allowed`)',
  })
  @IsOptional()
  @IsBoolean()
  eraseMessages?: boolean;
}
