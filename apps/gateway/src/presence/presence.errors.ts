import { AppError } from '@chat/platform';

/** The presence context's failures, worded once. */
export const PresenceErrors = {
  typingUnavailable: () => new AppError('UNAVAILABLE', 'Typing indicators are unavailable right now'),
};
