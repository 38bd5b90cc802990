/** Server-side validation classes (class-validator). The browser imports `@chat/contracts`, not this. */
export * from './auth.dto';
export * from './chat.dto';
export * from './media.dto';
export * from './ids';
