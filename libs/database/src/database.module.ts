import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { dataSourceOptions, type DatabaseOptions } from './data-source';

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
      exports: [TypeOrmModule],
    };
  }
}

/** /readyz probe for Postgres. */
export function databaseProbe(dataSource: DataSource) {
  return { name: 'database', check: async () => void (await dataSource.query('SELECT 1')) };
}
