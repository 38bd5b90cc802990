import { AppError } from '@chat/platform';

/** The moderation context's failures, worded once (an unknown user is AccountErrors.userNotFound). */
export const ModerationErrors = {
  lastAdmin: () => new AppError('CONFLICT', 'Cannot remove the last admin'),
  selfBan: () => new AppError('FORBIDDEN', 'You cannot ban yourself'),
  staffOnlyByAdmin: (action: 'ban' | 'unban') =>
    new AppError('FORBIDDEN', `Only an admin can ${action} a moderator or admin`),
};
