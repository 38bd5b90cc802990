import { AppError } from '@chat/platform';

const ARCHIVED = 'This channel is archived';

/** Whether `err` is the refusal of a write to an archived channel (passed on as it is). */
export const isArchivedRefusal = (err: unknown): boolean =>
  err instanceof AppError && err.code === 'FORBIDDEN' && err.message === ARCHIVED;

/** The channel context's failures, worded once. */
export const ChannelErrors = {
  /** Also for channels that exist but the caller may not know about. */
  notFound: () => new AppError('NOT_FOUND', 'Channel not found'),
  userNotFound: () => new AppError('NOT_FOUND', 'User not found'),
  joinFirst: () => new AppError('FORBIDDEN', 'Join the channel first'),
  notMember: () => new AppError('FORBIDDEN', 'You are not a member of this channel'),
  notManager: () => new AppError('FORBIDDEN', 'Only the channel owner, a moderator or an admin may do this'),
  notStaff: () => new AppError('FORBIDDEN', 'Only a moderator or an admin may do this'),
  archived: () => new AppError('FORBIDDEN', ARCHIVED),
  /** The one a channel is handed to must be in it already. */
  notAMember: (userId: string) => new AppError('NOT_FOUND', `User ${userId} is not a member of this channel`),
  dmFixed: () =>
    new AppError('FORBIDDEN', 'A direct message has exactly its two members and no name or topic'),
  nameTaken: () => new AppError('CONFLICT', 'A public channel with that name already exists'),
  dmWithSelf: () => new AppError('VALIDATION', 'userId must be another user'),
  noPreferences: () => new AppError('VALIDATION', 'Give notify, muted or both'),
};
