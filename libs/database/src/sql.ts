import type { PoolClient } from 'pg';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';

/** A statement's parameters, in `$1…$n` order. */
export type SqlParams = readonly unknown[];

export interface SqlOptions {
  /**
   * `prepared()` names its statements (parsed and planned once per connection). Default true; false
   * sends them unnamed, for a transaction-mode pooler without prepared-statement support
   * (PgBouncer < 1.21, or max_prepared_statements = 0). See docs/operations.md "Connection pooling".
   */
  preparedStatements?: boolean;
}

/**
 * How every repository reaches Postgres: SQL text, typed rows, over the app's one pool (TypeORM's, so
 * its transactions, health probe and migrations share it). Every statement answers its rows, whatever
 * its command: `DataSource.query` answers UPDATE/DELETE … RETURNING as `[rows, count]`, which callers
 * had to unwrap.
 *
 * Why SQL rather than TypeORM's Repository API: the queries that matter (batched sends in one
 * statement, per-viewer unread counts, dm_key upserts, SKIP LOCKED sweeps, advisory locks) are SQL
 * the Repository API cannot express, so one style that can say all of them is this one.
 */
export class Sql {
  private constructor(
    private readonly source: DataSource,
    /** Set inside a transaction: every statement goes to its connection. */
    private readonly runner: QueryRunner | null,
    private readonly options: SqlOptions,
  ) {}

  static over(source: DataSource, options: SqlOptions = {}): Sql {
    return new Sql(source, null, options);
  }

  /** The statements of a transaction that TypeORM runs (`dataSource.transaction(em => …)`). */
  static within(em: EntityManager, options: SqlOptions = {}): Sql {
    if (!em.queryRunner) throw new Error('Sql.within needs the EntityManager of a transaction');
    return new Sql(em.connection, em.queryRunner, options);
  }

  async rows<T>(text: string, params: SqlParams = []): Promise<T[]> {
    return this.use(async (runner) => (await runner.query(text, [...params], true)).records as T[]);
  }

  async one<T>(text: string, params: SqlParams = []): Promise<T | undefined> {
    return (await this.rows<T>(text, params))[0];
  }

  /** Runs `fn` in one transaction; inside one already, `fn` joins it. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    if (this.runner) return fn(this);
    return this.source.transaction((em) => fn(Sql.within(em, this.options)));
  }

  /**
   * A named prepared statement: parsed and planned once per pooled connection, then reused there.
   * TypeORM's query() cannot name a statement, so this runs it on the connection that the public
   * `QueryRunner.connect()` hands out: documented as the driver's connection, typed `any`, and for
   * Postgres a pg PoolClient, which can.
   *
   * With `preparedStatements: false` (DATABASE_PREPARED_STATEMENTS) the same text goes as an unnamed
   * statement instead: behind a transaction-mode pooler older than PgBouncer 1.21, the next
   * transaction may run on a server connection that never saw the PREPARE (`prepared statement
   * "…" does not exist`, or `… already exists` where another client prepared it).
   */
  async prepared<T>(name: string, text: string, params: SqlParams): Promise<T[]> {
    if (this.options.preparedStatements === false) return this.rows<T>(text, params);
    return this.use(async (runner) => {
      const client = (await runner.connect()) as PoolClient;
      return (await client.query<T & object>({ name, text, values: [...params] })).rows;
    });
  }

  private async use<T>(fn: (runner: QueryRunner) => Promise<T>): Promise<T> {
    if (this.runner) return fn(this.runner);
    const runner = this.source.createQueryRunner();
    try {
      return await fn(runner);
    } finally {
      await runner.release();
    }
  }
}

/**
 * An array parameter the planner cannot look into, for the hot statements run through
 * `Sql.prepared`: `unseen('$1::uuid[]')` is `(SELECT $1::uuid[])::uuid[]`. Use it for every array
 * parameter of such a statement, in `unnest(…)` and in `= ANY(…)` alike.
 *
 * Why: Postgres plans a named statement with its parameters' values (a custom plan) for its first
 * five runs, and goes on doing so while those plans cost less than the plan made without them (the
 * generic plan, which it would keep). From an array it sees, it estimates the array's real length:
 * one or two elements for the batches of a quiet server, fewer than the ten it assumes for an array
 * it cannot see. So the custom plans always looked cheaper, and the statement was planned again on
 * every run (pg_stat_statements: plans = calls; 0.33 ms of planning per message write, more than
 * running it). Behind a sub-select both plans estimate alike, the planning cost tips the balance,
 * and from the sixth run on Postgres runs its generic plan without planning (its
 * `pg_prepared_statements.generic_plans` counts them). Statements sent unnamed
 * (DATABASE_PREPARED_STATEMENTS=false) are planned on every run whatever their text.
 */
export function unseen(param: `$${number}::${string}[]`): string {
  // Cast again, so that `= ANY(…)` reads an array expression, not a subquery of arrays.
  const type = param.slice(param.indexOf('::'));
  return `(SELECT ${param})${type}`;
}

/** Escapes LIKE wildcards so user input matches literally (use with ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
