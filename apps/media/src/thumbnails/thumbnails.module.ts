import { Module } from '@nestjs/common';
import { StorageModule } from '../storage/storage.module';
import { ThumbnailsService } from './thumbnails.service';

/** Thumbnails of uploaded images (sharp), stored next to the originals. */
@Module({
  imports: [StorageModule],
  providers: [ThumbnailsService],
  exports: [ThumbnailsService],
})
export class ThumbnailsModule {}
