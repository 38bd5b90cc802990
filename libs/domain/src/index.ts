export * from './channel-access';
export * from './wire-mappers';
