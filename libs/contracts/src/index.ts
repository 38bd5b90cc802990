/** Browser-safe wire contract: plain types and constants only (no decorators, no server code). */
export * from './errors';
export * from './objects';
export * from './limits';
export * from './socket-events';
export * from './reaction-emoji';
export * from './text';
