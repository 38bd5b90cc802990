import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsString, IsUUID, Length, Max, Matches, Min } from 'class-validator';
import { LowerCaseId } from './ids';

export class CreateUploadDto {
  @ApiProperty({ format: 'uuid' })
  @LowerCaseId()
  @IsUUID()
  channelId: string;

  @ApiProperty({ example: 'photo.png' })
  @IsString()
  @Length(1, 255)
  name: string;

  @ApiProperty({ description: 'Exact size in bytes; the presigned URL is bound to it' })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  size: number;

  @ApiProperty({ example: 'image/png' })
  @IsString()
  @Matches(/^[\w.+-]+\/[\w.+-]+$/, { message: 'contentType must be a MIME type' })
  contentType: string;
}
