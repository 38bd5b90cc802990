import { AppError } from '@chat/platform';

/** The bots context's failures, worded once. */
export const BotErrors = {
  /** Bots share the username space with people (a message shows only the author's name). */
  usernameTaken: () => new AppError('CONFLICT', 'Username is taken'),
  /** Also a person's id, a deleted bot's, or a webhook's account: only live bots are managed here. */
  notFound: () => new AppError('NOT_FOUND', 'No such bot'),
};
