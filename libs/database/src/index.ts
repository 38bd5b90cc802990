export * from './entities';
export * from './data-source';
export * from './sql';
export { MIGRATIONS, revertLastMigration } from './migrations';
export * from './database.module';
export * from './user-sql';
