import { AppError } from '@chat/platform';

const mib = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MiB`;

/** The upload context's failures, worded once. */
export const UploadErrors = {
  tooLarge: (maxBytes: number) =>
    new AppError('PAYLOAD_TOO_LARGE', `Files may be at most ${maxBytes} bytes (${mib(maxBytes)})`),
  /**
   * 409, not 413: the file is fine, the uploader's storage is full. Clients can tell "pick a smaller
   * file" (413) from "delete some of your files first" (409) by the code alone.
   */
  quotaExceeded: (quotaBytes: number) =>
    new AppError('CONFLICT', `Storage quota exceeded: each user may keep ${mib(quotaBytes)} of files`),
  unsupportedType: (type: string) =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', `Files of type ${type} are not accepted`),
  /** The type detector gave no answer within its budget (or died): the file is treated as undetectable. */
  undetectableType: () =>
    new AppError('UNSUPPORTED_MEDIA_TYPE', 'The type of this file could not be determined'),
  /** Every type-detection worker is busy and its queue is full. */
  detectorBusy: () =>
    new AppError('UNAVAILABLE', 'Too many uploads are being checked right now; try again shortly', {
      'Retry-After': '1',
    }),
  malformed: (why: string) => new AppError('VALIDATION', why),
  aborted: () => new AppError('VALIDATION', 'The upload was interrupted'),
  /** Only the uploader knows the id of a pending upload; to anyone else it does not exist. */
  notFound: () => new AppError('NOT_FOUND', 'No such upload'),
  /** The sweeper removed it before it was completed. */
  expired: () => new AppError('NOT_FOUND', 'No such upload (it expired)'),
  /** A streamed upload outlived its pending row (the sweeper took it) before it could finish. */
  tookTooLong: () => new AppError('CONFLICT', 'The upload took too long and expired'),
  notUploadedYet: () =>
    new AppError('CONFLICT', 'Nothing has been uploaded to the URL yet: PUT the file, then complete'),
  disappeared: () => new AppError('CONFLICT', 'The upload disappeared from storage'),
  sizeMismatch: (stored: number, declared: number) =>
    new AppError('CONFLICT', `The upload has ${stored} bytes, not the ${declared} declared`),
  typeMismatch: (detected: string, declared: string) =>
    new AppError('CONFLICT', `The upload is ${detected}, not the ${declared} declared`),
};
