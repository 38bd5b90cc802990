import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class OidcExchangeDto {
  @ApiProperty({ description: 'The one-time code from `#/sso?code=` (valid 60 seconds)' })
  @IsString()
  @Length(1, 128)
  code: string;
}
