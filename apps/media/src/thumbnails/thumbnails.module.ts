import { Module } from '@nestjs/common';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StorageModule } from '../storage/storage.module';
import { ThumbnailsService } from './thumbnails.service';

/** Thumbnails of uploaded images (sharp, in the sandbox's workers), stored next to the originals. */
@Module({
  imports: [StorageModule, SandboxModule],
  providers: [ThumbnailsService],
  exports: [ThumbnailsService],
})
export class ThumbnailsModule {}
