/**
 * Object keys are made by the server from ids alone, never from anything the client sent (its file
 * name may be "../../x"), and grouped by channel so a store's own tools can list a channel's files.
 */
export function fileObjectKey(channelId: string, fileId: string): string {
  return `files/${channelId}/${fileId}`;
}

export function thumbObjectKey(channelId: string, fileId: string): string {
  return `thumbs/${channelId}/${fileId}.webp`;
}
