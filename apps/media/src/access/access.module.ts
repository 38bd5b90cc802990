import { Module } from '@nestjs/common';
import { AccessService } from './access.service';

/** Channel membership as it bears on files: who may upload into a channel and read its files. */
@Module({
  providers: [AccessService],
  exports: [AccessService],
})
export class AccessModule {}
