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
};
