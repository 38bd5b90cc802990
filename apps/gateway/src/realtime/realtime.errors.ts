import { AppError } from '@chat/platform';

export const RealtimeErrors = {
  draining: () => new AppError('UNAVAILABLE', 'This server is restarting; reconnect and retry'),
  unknownEvent: (event: string) => new AppError('VALIDATION', `Unknown event "${event.slice(0, 64)}"`),
  arity: () =>
    new AppError('VALIDATION', 'A command takes one payload object and an acknowledgement callback'),
  backlog: () => new AppError('RATE_LIMITED', 'Too many commands waiting on this connection; slow down'),
  tokenExpired: () => new AppError('UNAUTHORIZED', 'Access token expired'),
  sessionRevoked: () => new AppError('UNAUTHORIZED', 'Session revoked'),
};
