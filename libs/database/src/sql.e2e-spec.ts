import { openSql, type TestSql } from '../../../test/support/repository';

describe('Sql (real Postgres)', () => {
  let db: TestSql;

  beforeAll(async () => {
    // One connection: a prepared statement is then reused on it, not prepared again elsewhere.
    db = await openSql(1);
  });
  afterAll(() => db.close());

  it('answers every statement with its rows, UPDATE … RETURNING included', async () => {
    const id = await db.user({ username: `sql_${Date.now()}` });
    const updated = await db.sql.rows<{ id: string }>(
      `UPDATE users SET roles = '{member,moderator}' WHERE id = $1 RETURNING id`,
      [id],
    );
    expect(updated).toEqual([{ id }]);
    const deleted = await db.sql.rows(`DELETE FROM users WHERE id = $1 AND false RETURNING id`, [id]);
    expect(deleted).toEqual([]);
    expect(await db.sql.one(`SELECT 1 AS one WHERE false`)).toBeUndefined();
  });

  it('rolls a transaction back when its work throws, and joins an enclosing one', async () => {
    const name = `tx_${Date.now()}`;
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.rows(`INSERT INTO users (username, password_hash) VALUES ($1, 'x')`, [name]);
        await tx.transaction((inner) =>
          inner.rows(`UPDATE users SET roles = '{admin}' WHERE username = $1`, [name]),
        );
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await db.sql.rows(`SELECT id FROM users WHERE username = $1`, [name])).toEqual([]);
  });

  it('runs a named prepared statement again and again, inside a transaction too', async () => {
    const text = `SELECT $1::int + 1 AS n`;
    expect(await db.sql.prepared('sql_spec_inc', text, [1])).toEqual([{ n: 2 }]);
    expect(await db.sql.prepared('sql_spec_inc', text, [41])).toEqual([{ n: 42 }]);
    const seen = await db.sql.transaction(async (tx) => {
      const name = `prep_${Date.now()}`;
      await tx.rows(`INSERT INTO users (username, password_hash) VALUES ($1, 'x')`, [name]);
      // Same transaction: the uncommitted row is visible to the prepared statement.
      return tx.prepared<{ c: number }>(
        'sql_spec_count',
        `SELECT count(*)::int AS c FROM users WHERE username = $1`,
        [name],
      );
    });
    expect(seen).toEqual([{ c: 1 }]);
    const [{ count }] = await db.sql.rows<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_prepared_statements WHERE name IN ('sql_spec_inc', 'sql_spec_count')`,
    );
    expect(count).toBe(2);
  });
});
