import { AppError } from '@chat/platform';

/** The outgoing webhooks context's failures, worded once. */
export const OutgoingWebhookErrors = {
  /** Also for a webhook of another channel, or an incoming one. */
  notFound: () => new AppError('NOT_FOUND', 'Webhook not found'),
};
