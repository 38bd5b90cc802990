import { AppError } from '@chat/platform';
import { WEBHOOKS_PER_CHANNEL_MAX } from './webhook-secrets';

/** The webhooks context's failures, worded once. */
export const WebhookErrors = {
  notFound: () => new AppError('NOT_FOUND', 'Webhook not found'),
  /**
   * `POST /hooks/:id/:secret` with an unknown id, a malformed one or a wrong secret: one answer,
   * so a caller cannot tell a real webhook id from a made-up one.
   */
  hookNotFound: () => new AppError('NOT_FOUND', 'No such webhook'),
  tooMany: () =>
    new AppError(
      'CONFLICT',
      `A channel has at most ${WEBHOOKS_PER_CHANNEL_MAX} webhooks: delete one before adding another`,
    ),
  eventsWithoutUrl: () =>
    new AppError('VALIDATION', 'events is for outgoing webhooks only: give url too, or leave events out'),
  noEvents: () => new AppError('VALIDATION', 'events must name at least one event'),
  blankText: () => new AppError('VALIDATION', 'text must be 1–4000 characters after trimming'),
  notJson: () => new AppError('VALIDATION', 'The body must be JSON (Content-Type: application/json)'),
  /** Its account was removed from the channel (or banned) since: it cannot post there. */
  cannotPost: () => new AppError('FORBIDDEN', "The webhook's account may no longer post in this channel"),
};
