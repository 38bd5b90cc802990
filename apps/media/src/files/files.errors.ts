import { AppError } from '@chat/platform';

/** The file context's failures, worded once. */
export const FileErrors = {
  /** Also what a file the caller may not see answers: existence never leaks. */
  notFound: () => new AppError('NOT_FOUND', 'No such file'),
  noThumbnail: () => new AppError('NOT_FOUND', 'This file has no thumbnail'),
  deleteForbidden: () =>
    new AppError('FORBIDDEN', 'Only the uploader, a moderator or an admin can delete this file'),
};
