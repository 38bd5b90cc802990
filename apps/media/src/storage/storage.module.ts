import { Module } from '@nestjs/common';
import { StorageService } from './storage.service';

/** Object storage (any S3-compatible store): the bucket, its objects and presigned URLs. */
@Module({
  providers: [StorageService],
  exports: [StorageService],
})
export class StorageModule {}
