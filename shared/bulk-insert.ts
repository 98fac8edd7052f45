import { getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { changesOf, type Db } from "./db";
import { type RawConnection, rawConnectionOf, type SqlValue } from "./savepoints";

/** Rows per statement: 100 rows of a few columns stay far below SQLite's limit on bound parameters. */
const ROWS_PER_STATEMENT = 100;

/**
 * Inserts rows into `table` (values in the order of `columns`) with `INSERT … ON CONFLICT DO NOTHING`
 * statements of up to 100 rows, each prepared once per row count on the driver's connection: one call per
 * hundred rows instead of one per row. Returns how many rows were inserted, fewer than given when some
 * conflicted (nothing is rolled back here: the caller's transaction is). Undefined when the connection
 * is not exposed.
 */
export function bulkInserter(
  db: Db,
  table: SQLiteTable,
  columns: readonly SQLiteColumn[],
): ((rows: Iterable<readonly SqlValue[]>) => number) | undefined {
  const raw = rawConnectionOf(db);
  if (!raw) return undefined;
  const names = columns.map((column) => `"${column.name}"`).join(", ");
  const placeholders = `(${columns.map(() => "?").join(", ")})`;
  const prepared = new Map<number, ReturnType<RawConnection["prepare"]>>();
  const insertOf = (rowCount: number) => {
    let statement = prepared.get(rowCount);
    if (!statement) {
      const values = Array.from({ length: rowCount }, () => placeholders).join(", ");
      statement = raw.prepare(
        `INSERT INTO "${getTableName(table)}" (${names}) VALUES ${values} ON CONFLICT DO NOTHING`,
      );
      prepared.set(rowCount, statement);
    }
    return statement;
  };
  return (rows) => {
    const params: SqlValue[] = [];
    let pending = 0;
    let inserted = 0;
    const flush = () => {
      inserted += changesOf(insertOf(pending).run(...params));
      params.length = 0;
      pending = 0;
    };
    for (const row of rows) {
      for (const value of row) params.push(value);
      if (++pending === ROWS_PER_STATEMENT) flush();
    }
    if (pending > 0) flush();
    return inserted;
  };
}
