import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import type { TotpSetup } from '../objects';

/**
 * The longest code accepted: a recovery code as shown (`xxxx-xxxx-xxxx`) with room for the spaces
 * people paste around it. Anything longer is refused before a hash or an HMAC is computed.
 */
export const TWO_FACTOR_CODE_MAX = 24;

/** A TOTP code (6 digits) or a recovery code: letters, digits, spaces and dashes only. */
export function IsTwoFactorCode(): PropertyDecorator {
  return (target, key) => {
    IsString()(target, key);
    MaxLength(TWO_FACTOR_CODE_MAX)(target, key);
    Matches(/^[A-Za-z0-9 -]+$/, { message: 'code may contain only letters, digits, spaces and dashes' })(
      target,
      key,
    );
  };
}

/** `POST /auth/2fa/enable` and `POST /auth/2fa/disable`. */
export class TwoFactorCodeDto {
  @ApiProperty({
    example: '123456',
    maxLength: TWO_FACTOR_CODE_MAX,
    description:
      'enable: the current 6-digit code of the authenticator app; disable: that, or an unused recovery code',
  })
  @IsTwoFactorCode()
  code: string;
}

/** `POST /auth/2fa/setup` → 200. */
export class TotpSetupResponse implements TotpSetup {
  @ApiProperty({ example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', description: 'Base32, for typing in by hand' })
  secret: string;

  @ApiProperty({
    example: 'otpauth://totp/Chat:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Chat',
    description: 'For a QR code',
  })
  otpauthUrl: string;

  @ApiProperty({
    example: ['k7dq-m2xa-p4rt'],
    isArray: true,
    description: 'Ten one-time codes, shown this once (stored hashed); valid once two-factor is enabled',
  })
  recoveryCodes: string[];
}
