import { getTableName } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { changesOf, type Db, type RawConnection, rawConnectionOf, type SqlValue } from "./db";

/** Rows per statement: 100 rows of a few columns stay far below SQLite's limit on bound parameters. */
const ROWS_PER_STATEMENT = 100;

type BulkWrite = (rows: Iterable<readonly SqlValue[]>) => number;

/**
 * Runs a statement written for `rowCount` rows of parameters (`statementFor`) over rows given in any
 * number, up to 100 rows a call, each statement prepared once per row count on the driver's connection:
 * one call per hundred rows instead of one per row. Returns the rows changed in all. Undefined when the
 * connection is not exposed.
 */
function bulkWrite(db: Db, statementFor: (rowCount: number) => string): BulkWrite | undefined {
  const raw = rawConnectionOf(db);
  if (!raw) return undefined;
  const prepared = new Map<number, ReturnType<RawConnection["prepare"]>>();
  const statementOf = (rowCount: number) => {
    let statement = prepared.get(rowCount);
    if (!statement) {
      statement = raw.prepare(statementFor(rowCount));
      prepared.set(rowCount, statement);
    }
    return statement;
  };
  return (rows) => {
    const params: SqlValue[] = [];
    let pending = 0;
    let changed = 0;
    const flush = () => {
      changed += changesOf(statementOf(pending).run(...params));
      params.length = 0;
      pending = 0;
    };
    for (const row of rows) {
      for (const value of row) params.push(value);
      if (++pending === ROWS_PER_STATEMENT) flush();
    }
    if (pending > 0) flush();
    return changed;
  };
}

const valuesOf = (rowCount: number, columnCount: number) =>
  Array.from(
    { length: rowCount },
    () => `(${Array.from({ length: columnCount }, () => "?").join(", ")})`,
  ).join(", ");

/**
 * Inserts rows into `table` (values in the order of `columns`) with `INSERT … ON CONFLICT DO NOTHING`;
 * returns how many rows were inserted, fewer than given when some conflicted (nothing is rolled back
 * here: the caller's transaction is). Undefined when the connection is not exposed.
 */
export function bulkInserter(
  db: Db,
  table: SQLiteTable,
  columns: readonly SQLiteColumn[],
): BulkWrite | undefined {
  const names = columns.map((column) => `"${column.name}"`).join(", ");
  return bulkWrite(
    db,
    (rowCount) =>
      `INSERT INTO "${getTableName(table)}" (${names}) VALUES ${valuesOf(rowCount, columns.length)} ON CONFLICT DO NOTHING`,
  );
}

/**
 * Adds amounts to a column of rows found by key, for rows given as [key, amount] with each key at most
 * once (for a repeated key, SQLite would apply one of its amounts, which one unspecified): one `UPDATE …
 * FROM (VALUES …)` per hundred rows instead of an UPDATE per row. Returns how many rows were changed (a key
 * not found changes none). Undefined when the connection is not exposed.
 */
export function bulkAdder(
  db: Db,
  table: SQLiteTable,
  key: SQLiteColumn,
  column: SQLiteColumn,
): ((rows: Iterable<readonly [key: SqlValue, amount: number]>) => number) | undefined {
  const name = `"${getTableName(table)}"`;
  return bulkWrite(
    db,
    (rowCount) =>
      `UPDATE ${name} SET "${column.name}" = ${name}."${column.name}" + deltas.column2 ` +
      `FROM (VALUES ${valuesOf(rowCount, 2)}) AS deltas WHERE ${name}."${key.name}" = deltas.column1`,
  );
}
