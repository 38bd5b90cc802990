import { AppError } from '@chat/platform';

/** The message context's failures, worded once. */
export const MessageErrors = {
  /** Also for messages in channels the caller may not know about. */
  notFound: () => new AppError('NOT_FOUND', 'Message not found'),
  notAuthor: () => new AppError('FORBIDDEN', 'Only the author can edit a message'),
  mayNotDelete: () =>
    new AppError(
      'FORBIDDEN',
      'Only the author, the channel owner, a moderator or an admin can delete a message',
    ),
  clientIdElsewhere: () =>
    new AppError('CONFLICT', 'This clientId was already used for a message in another channel'),
  attachmentNotFound: (id: string) => new AppError('NOT_FOUND', `Attachment ${id} not found`),
  attachmentUnusable: (id: string, why: string) => new AppError('VALIDATION', `Attachment ${id} ${why}`),
  badThreadCursor: () => new AppError('VALIDATION', "before must be the previous page's next cursor"),
  badEmoji: () =>
    new AppError(
      'VALIDATION',
      'emoji must be one Unicode emoji (a single grapheme of at most 32 bytes) or a :short_name: of [a-z0-9_+-]{1,32}',
    ),
  tooManyReactions: (max: number) =>
    new AppError('CONFLICT', `A message carries at most ${max} different reactions`),
  mayNotPin: () =>
    new AppError('FORBIDDEN', 'Only the channel owner, a moderator or an admin can pin messages here'),
  tooManyPins: (max: number) => new AppError('CONFLICT', `A channel has at most ${max} pinned messages`),
  aroundWithBounds: () => new AppError('VALIDATION', 'around cannot be combined with before or after'),
  searchNeedsQuery: () =>
    new AppError('VALIDATION', 'q is required unless a filter (from, before, after, has) is given'),
};
