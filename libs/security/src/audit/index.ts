export * from './audit-context';
export * from './audit.repository';
