import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities';
import { MIGRATIONS } from './migrations';

export interface DatabaseOptions {
  url: string;
  /** Connections in the pool. */
  poolSize?: number;
  logging?: boolean;
  /** Named prepared statements in `Sql.prepared` (DATABASE_PREPARED_STATEMENTS); default true. */
  preparedStatements?: boolean;
}

/** The one definition of how the apps, the tests and the migration CLI reach Postgres. */
export function dataSourceOptions(opts: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    // Each migration in its own transaction, or in none when it says `transaction = false` (CREATE
    // INDEX CONCURRENTLY): the TypeORM CLI's default, 'all', refuses such migrations.
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Failed queries reach the log through the services' error handling, with request ids; TypeORM's
    // own error log would also print expected ones (a taken username) with their parameters.
    logging: opts.logging ? ['error', 'warn', 'migration'] : false,
    poolSize: opts.poolSize ?? 10,
    extra: {
      // Fail fast when Postgres is unreachable instead of queueing requests forever.
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    },
  };
}

export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource(dataSourceOptions(opts));
}

/** Postgres error codes the services map to contract errors. */
export const PG_UNIQUE_VIOLATION = '23505';
export const PG_FOREIGN_KEY_VIOLATION = '23503';

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as {
    code?: string;
    constraint?: string;
    driverError?: { code?: string; constraint?: string };
  };
  const code = e?.code ?? e?.driverError?.code;
  const name = e?.constraint ?? e?.driverError?.constraint;
  return code === PG_UNIQUE_VIOLATION && (constraint === undefined || name === constraint);
}
