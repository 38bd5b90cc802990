export * from './principal';
export * from './key-resolver';
export * from './token-verifier';
export * from './user-status.service';
export * from './authenticator';
export * from './guards';
export * from './security.module';
