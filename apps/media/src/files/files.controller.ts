import { Controller, Delete, Get, HttpCode, Query, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiFoundResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { FileInfo } from '@chat/contracts';
import { IdParam } from '@chat/platform';
import { CurrentUser, JwtAuthGuard, type Principal } from '@chat/security';
import { sendDownload } from './download-response';
import { DownloadQueryDto } from './dto/download-query.dto';
import { FilesService } from './files.service';

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

@ApiTags('files')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('files')
export class FilesController {
  constructor(private readonly files: FilesService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'Download a file (members of its channel and the uploader)',
    description:
      'The bytes with `Content-Disposition: attachment` (Range honoured: 206/416), or a 302 to a ' +
      'short-lived presigned URL when MEDIA_PUBLIC_URL is set. `inline=1` previews allowlisted images; ' +
      '`thumb=1` serves the thumbnail (404 when there is none).',
  })
  @ApiOkResponse({ description: 'The file' })
  @ApiFoundResponse({ description: 'Redirect to a presigned URL on the public store origin' })
  @ApiNotFoundResponse({ description: 'No such file, or not visible to the caller' })
  async download(
    @CurrentUser() user: Principal,
    @IdParam('id') id: string,
    @Query() query: DownloadQueryDto,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const d = await this.files.download(user, id, {
      inline: query.inline ?? false,
      thumb: query.thumb ?? false,
      range: header(req, 'range'),
      ifRange: header(req, 'if-range'),
      ifNoneMatch: header(req, 'if-none-match'),
    });
    await sendDownload(req, res, d);
  }

  @Get(':id/meta')
  @ApiOperation({ summary: "A file's metadata (members of its channel and the uploader)" })
  @ApiOkResponse({ description: 'File' })
  meta(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<FileInfo> {
    return this.files.meta(user, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a file (uploader, moderator or admin)' })
  @ApiNoContentResponse({ description: 'Deleted; messages carrying it are re-sent without it' })
  remove(@CurrentUser() user: Principal, @IdParam('id') id: string): Promise<void> {
    return this.files.remove(user, id);
  }
}
