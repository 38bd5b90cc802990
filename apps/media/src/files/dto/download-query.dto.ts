import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

/** `1`/`true` and `0`/`false`; anything else stays a string and fails validation (400). */
const flag = ({ value }: { value: unknown }): unknown => {
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false' || value === '') return false;
  return value;
};

export class DownloadQueryDto {
  @ApiPropertyOptional({
    type: String,
    enum: ['1', '0'],
    description:
      'Serve png, jpeg, gif and webp images with `Content-Disposition: inline`; ignored for other types',
  })
  @IsOptional()
  @Transform(flag)
  @IsBoolean()
  inline?: boolean;

  @ApiPropertyOptional({
    type: String,
    enum: ['1', '0'],
    description: "The image's thumbnail (webp, at most 320 px); 404 when the file has none",
  })
  @IsOptional()
  @Transform(flag)
  @IsBoolean()
  thumb?: boolean;
}
