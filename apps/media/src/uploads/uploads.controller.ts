import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import type { Request } from 'express';
import type { FileInfo, PresignedUpload } from '@chat/contracts';
import { CreateUploadDto } from '@chat/contracts/dto';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { UploadsService } from './uploads.service';

@ApiTags('files')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('files')
export class UploadsController {
  constructor(private readonly uploads: UploadsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Upload a file into a channel (multipart: `channelId` first, then `file`)',
    description:
      'Streamed to storage. The stored type is detected from the bytes. 413 over MEDIA_MAX_BYTES, ' +
      '415 for a type not allowed, 409 when the uploader is over their storage quota.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['channelId', 'file'],
      properties: {
        channelId: { type: 'string', format: 'uuid' },
        file: { type: 'string', format: 'binary' },
      },
    },
  })
  @ApiCreatedResponse({ description: 'File' })
  @ApiPayloadTooLargeResponse({ description: 'Larger than MEDIA_MAX_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Detected type not allowed' })
  @ApiConflictResponse({ description: 'Storage quota exceeded' })
  upload(@CurrentUser() user: Principal, @Req() req: Request): Promise<FileInfo> {
    return this.uploads.upload(user, req);
  }

  @Post('uploads')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Start a direct upload: a presigned PUT URL bound to the size and type',
    description: 'PUT the bytes to `upload.url` with `upload.headers`, then call POST /files/{id}/complete.',
  })
  @ApiCreatedResponse({ description: '{ file, upload: { url, method, headers, expiresAt } }' })
  createUpload(@CurrentUser() user: Principal, @Body() dto: CreateUploadDto): Promise<PresignedUpload> {
    return this.uploads.createUpload(user, dto);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Finish a direct upload once the bytes are in storage and match' })
  @ApiOkResponse({ description: 'File' })
  @ApiConflictResponse({ description: 'Not uploaded yet, or size/type differ from what was declared' })
  complete(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<FileInfo> {
    return this.uploads.complete(user, id);
  }
}
