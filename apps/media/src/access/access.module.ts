import { Module } from '@nestjs/common';
import { AccessRepository } from './access.repository';
import { AccessService } from './access.service';

/** Channel membership as it bears on files: who may upload into a channel and read its files. */
@Module({
  providers: [AccessService, AccessRepository],
  exports: [AccessService],
})
export class AccessModule {}
