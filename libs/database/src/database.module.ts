import { Module, type DynamicModule } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { dataSourceOptions, type DatabaseOptions } from './data-source';
import { Sql } from './sql';

@Module({})
export class DatabaseModule {
  static forRoot(opts: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRoot({
          ...dataSourceOptions(opts),
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
          inject: [getDataSourceToken()],
        },
      ],
      exports: [TypeOrmModule, Sql],
    };
  }
}

/** /readyz probe for Postgres. */
export function databaseProbe(dataSource: DataSource) {
  return { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) };
}
