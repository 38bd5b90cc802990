export * from './entities';
export * from './data-source';
export { MIGRATIONS } from './migrations';
export * from './database.module';
