export * from './mailer';
export * from './email-links';
export * from './html';
