import type { FileInfo } from '@chat/contracts';
import type { FileEntity } from '@chat/database';

/** The only way a file record leaves this service: a whitelist, so storage keys never do. */
export function toFileDto(
  f: Pick<FileEntity, 'id' | 'channelId' | 'name' | 'size' | 'contentType' | 'uploadedBy' | 'createdAt'>,
): FileInfo {
  return {
    id: f.id,
    channelId: f.channelId,
    name: f.name,
    size: f.size,
    contentType: f.contentType,
    uploadedBy: f.uploadedBy,
    createdAt: f.createdAt.toISOString(),
  };
}
