import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { dataSourceOptions, type DatabaseOptions } from './data-source';
import { Sql } from './sql';

/** The service's TypeORM data source (its pool), for what needs it besides `Sql`: the readiness probe. */
export const APP_DATA_SOURCE = Symbol('APP_DATA_SOURCE');

@Module({})
export class DatabaseModule {
  /**
   * `service` names the data source ("auth", "media", "gateway"): `npm start` runs the three
   * services in one process, and @nestjs/typeorm warns about two data sources of one name there.
   */
  static forRoot(opts: DatabaseOptions, service: string): DynamicModule {
    const token = getDataSourceToken(service);
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(opts),
          name: service,
          // Keep retrying at boot so a service started before Postgres comes up on its own.
          retryAttempts: 30,
          retryDelay: 1000,
        }),
      ],
      // Repositories reach Postgres through Sql (see sql.ts), over TypeORM's pool.
      providers: [
        {
          provide: Sql,
          useFactory: (ds: DataSource) => Sql.over(ds, { preparedStatements: opts.preparedStatements }),
          inject: [token],
        },
        { provide: APP_DATA_SOURCE, useExisting: token },
      ],
      exports: [TypeOrmModule, Sql, APP_DATA_SOURCE],
    };
  }
}

/** /readyz probe for Postgres. */
export function databaseProbe(dataSource: DataSource) {
  return { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) };
}
