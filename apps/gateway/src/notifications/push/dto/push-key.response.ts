import { ApiProperty } from '@nestjs/swagger';
import type { PushKey } from '@chat/contracts';

export class PushKeyResponse implements PushKey {
  @ApiProperty({ description: 'VAPID public key, base64url of the uncompressed P-256 point' })
  publicKey: string;
}
