import { AppError } from '@chat/platform';

/** Also what a file the caller may not see answers: existence never leaks. */
export const fileNotFound = () => new AppError('NOT_FOUND', 'No such file');

export const noThumbnail = () => new AppError('NOT_FOUND', 'This file has no thumbnail');

export const deleteForbidden = () =>
  new AppError('FORBIDDEN', 'Only the uploader, a moderator or an admin can delete this file');
