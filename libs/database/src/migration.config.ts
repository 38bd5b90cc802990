import { createDataSource } from './data-source';

/**
 * DataSource for the TypeORM CLI (`npm run migration:run|revert|generate`). The CLI is a script, not
 * an app, so it reads DATABASE_URL here with the same default the apps use.
 */
export default createDataSource({
  url: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/chat',
  logging: true,
});
