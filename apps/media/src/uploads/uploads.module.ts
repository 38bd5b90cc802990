import { Module } from '@nestjs/common';
import { AccessModule } from '../access/access.module';
import { FilesRepository } from '../files/files.repository';
import { SandboxModule } from '../sandbox/sandbox.module';
import { StorageModule } from '../storage/storage.module';
import { ThumbnailsModule } from '../thumbnails/thumbnails.module';
import { UploadSweeper } from './upload-sweeper';
import { UploadsController } from './uploads.controller';
import { UploadsService } from './uploads.service';

/** Getting files in: streamed multipart uploads, presigned direct uploads, the pending sweeper. */
@Module({
  imports: [AccessModule, StorageModule, ThumbnailsModule, SandboxModule],
  controllers: [UploadsController],
  providers: [UploadsService, UploadSweeper, FilesRepository],
})
export class UploadsModule {}
