import { type SQL, sql } from "drizzle-orm";
import type { RebuildColumns } from "./rebuild-columns";

// The rebuild's statements, written from the column lists: the live database is `main`, the rebuilt one
// is attached to it as `rebuilt` while they run.

type Schema = "main" | "rebuilt";

const name = (identifier: string) => sql.identifier(identifier);
const list = (names: string[]) => sql.join(names.map(name), sql`, `);
const tableIn = (schema: Schema, table: string) => sql`${name(schema)}.${name(table)}`;

function copyRows(from: Schema, to: Schema, table: string, columns: string[], where: SQL = sql``): SQL {
  return sql`INSERT INTO ${tableIn(to, table)} (${list(columns)}) SELECT ${list(columns)} FROM ${tableIn(from, table)}${where}`;
}

/**
 * Users and accounts are the source of truth in live: the rebuild needs every account an event may name,
 * deleted ones included (the projection ignores account deletions). Run on each attempt, so what changed
 * in an owned row meanwhile (an account's deletion) is brought over too.
 */
export function copyOwnedRowsStatements(columns: RebuildColumns): SQL[] {
  const { users, accounts } = columns;
  const updated = accounts.owned.filter((column) => column !== accounts.key);
  const onConflict =
    updated.length === 0
      ? sql`DO NOTHING`
      : sql`DO UPDATE SET ${sql.join(
          updated.map((column) => sql`${name(column)} = excluded.${name(column)}`),
          sql`, `,
        )}`;
  return [
    sql`INSERT OR IGNORE INTO ${tableIn("rebuilt", users.table)} (${list(users.columns)}) SELECT ${list(users.columns)} FROM ${tableIn("main", users.table)}`,
    // WHERE true: SQLite's parser needs it between a SELECT and ON CONFLICT.
    sql`${copyRows("main", "rebuilt", accounts.table, accounts.owned, sql` WHERE true`)} ON CONFLICT (${name(accounts.key)}) ${onConflict}`,
  ];
}

/**
 * Replaces the live read model with the rebuilt one: the whole tables, the accounts' derived columns,
 * and the accounts consumer's own rows in the tables it shares with customers.
 */
export function swapStatements(columns: RebuildColumns, consumer: string): SQL[] {
  const { whole, accounts, consumerRows } = columns;
  const rebuiltAccount = sql`${name("r")}.${name(accounts.key)} = ${tableIn("main", accounts.table)}.${name(accounts.key)}`;
  const totals = accounts.derived.map(
    (column, index) =>
      sql`${name(column)} = coalesce((SELECT ${name("r")}.${name(column)} FROM ${tableIn("rebuilt", accounts.table)} ${name("r")} WHERE ${rebuiltAccount}), ${accounts.defaults[index] ?? null})`,
  );
  return [
    ...[...whole].reverse().map(({ table }) => sql`DELETE FROM ${tableIn("main", table)}`),
    ...whole.map(({ table, columns }) => copyRows("rebuilt", "main", table, columns)),
    ...(totals.length === 0
      ? []
      : [sql`UPDATE ${tableIn("main", accounts.table)} SET ${sql.join(totals, sql`, `)}`]),
    ...consumerRows.flatMap(({ table, consumerColumn, copied }) => [
      sql`DELETE FROM ${tableIn("main", table)} WHERE ${name(consumerColumn)} = ${consumer}`,
      copyRows("rebuilt", "main", table, copied),
    ]),
  ];
}

/** What --verify compares, each query run on both databases; rows are listed in column order. */
export function comparedQueries(columns: RebuildColumns, consumer: string): { label: string; query: SQL }[] {
  const select = (table: string, compared: string[], where: SQL = sql``) =>
    sql`SELECT ${list(compared)} FROM ${name(table)}${where} ORDER BY ${list(compared)}`;
  const { whole, accounts, consumerRows } = columns;
  return [
    ...whole.map(({ table, columns }) => ({ label: table, query: select(table, columns) })),
    { label: "account_totals", query: select(accounts.table, [accounts.key, ...accounts.derived]) },
    ...consumerRows.map(({ table, consumerColumn, compared }) => ({
      label: table,
      query: select(table, compared, sql` WHERE ${name(consumerColumn)} = ${consumer}`),
    })),
  ];
}
