/** Escapes LIKE wildcards so user input matches literally (use with ESCAPE '\'). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * The rows of an UPDATE/DELETE … RETURNING. TypeORM answers those statements as `[rows, count]`
 * (and every other statement as `rows`).
 */
export async function returning<T>(db: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const result = await db.query(sql, params);
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0])) return result[0] as T[];
  return result as T[];
}
