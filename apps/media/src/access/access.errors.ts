import { AppError } from '@chat/platform';

/** The access context's failures (uploading into a channel), worded once. */
export const AccessErrors = {
  /** Also for channels that exist but the caller may not know about. */
  channelNotFound: () => new AppError('NOT_FOUND', 'No such channel'),
  joinFirst: () => new AppError('FORBIDDEN', 'Join the channel before uploading to it'),
  notMember: () => new AppError('FORBIDDEN', 'You are not a member of this channel'),
  archived: () => new AppError('FORBIDDEN', 'This channel is archived'),
};
