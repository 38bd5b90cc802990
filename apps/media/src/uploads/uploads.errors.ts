import { AppError } from '@chat/platform';

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;

export const tooLarge = (maxBytes: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `Files may be at most ${maxBytes} bytes (${mib(maxBytes)})`);

/**
 * 409, not 413: the file is fine, the uploader's storage is full. Clients can tell "pick a smaller
 * file" (413) from "delete some of your files first" (409) by the code alone.
 */
export const quotaExceeded = (quotaBytes: number) =>
  new AppError('CONFLICT', `Storage quota exceeded: each user may keep ${mib(quotaBytes)} of files`);

export const unsupportedType = (type: string) =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', `Files of type ${type} are not accepted`);

export const malformedUpload = (why: string) => new AppError('VALIDATION', why);

export const uploadAborted = () => new AppError('VALIDATION', 'The upload was interrupted');
