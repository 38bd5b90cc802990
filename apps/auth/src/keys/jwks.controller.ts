import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { KeyStore } from './key-store';

@ApiTags('auth')
@Controller('auth/.well-known')
export class JwksController {
  constructor(@Inject(KeyStore) private readonly keys: KeyStore) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys (current and previous) that verify access tokens' })
  jwks() {
    return this.keys.jwks();
  }
}
