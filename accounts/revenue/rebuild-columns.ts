import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { deadLetters, parkedEntries, processedEvents } from "../../shared/projection/tables";
import { accounts, customers, invoices, users } from "../tables";

/**
 * The accounts database's tables a rebuild copies and compares. Every column list the rebuild writes in
 * SQL comes from these drizzle tables, so a column added to them is carried by the swap and by --verify.
 */
export type ReadModelTables = {
  users: SQLiteTable;
  accounts: SQLiteTable;
  customers: SQLiteTable;
  invoices: SQLiteTable;
  processedEvents: SQLiteTable;
  deadLetters: SQLiteTable;
  parkedEntries: SQLiteTable;
};

export const READ_MODEL_TABLES: ReadModelTables = {
  users,
  accounts,
  customers,
  invoices,
  processedEvents,
  deadLetters,
  parkedEntries,
};

type ColumnKey<T extends SQLiteTable> = keyof T["_"]["columns"] & string;
type LeftOut<T extends SQLiteTable> = Partial<Record<ColumnKey<T>, string>>;

// What the rebuild leaves out, by column, and why; every column not named here is carried.

/** An account row is owned (created and deleted by its routes): only these columns are derived. */
const ACCOUNT_DERIVED = ["totalRevenueCents"] satisfies ColumnKey<typeof accounts>[];

const DEAD_LETTER_NOT_COPIED = {
  seq: "a row number: the live table numbers the rows it takes in",
} satisfies LeftOut<typeof deadLetters>;

const DEAD_LETTER_NOT_COMPARED = {
  ...DEAD_LETTER_NOT_COPIED,
  consumer: "only the accounts consumer's rows are compared",
  fields: "the dead-lettered entry itself, which stream_id names",
  recordedAt: "a time of recording",
} satisfies LeftOut<typeof deadLetters>;

const PARKED_NOT_COMPARED = {
  consumer: "only the accounts consumer's rows are compared",
  reason: "worded from the entry and what it awaits, both compared",
  fields: "the parked entry itself, which stream_id names",
  parkedAtMs: "the stream time of stream_id",
} satisfies LeftOut<typeof parkedEntries>;

/** A table as the rebuild's SQL names it: its name and columns, in the order drizzle declares them. */
export type TableColumns = { table: string; columns: string[] };

/** Rows of one consumer in a table both consumers write: what the swap copies and what --verify compares. */
export type ConsumerRows = { table: string; consumerColumn: string; copied: string[]; compared: string[] };

/** Every column list of a rebuild, derived from the drizzle tables. */
export type RebuildColumns = {
  /** Copied from live into the rebuilt database (events name them), never swapped back. */
  users: TableColumns;
  accounts: { table: string; key: string; owned: string[]; derived: string[]; defaults: unknown[] };
  /** Rebuilt, swapped in and compared whole; a table comes after those its foreign keys reference. */
  whole: TableColumns[];
  consumerRows: ConsumerRows[];
};

export function rebuildColumnsOf(tables: ReadModelTables = READ_MODEL_TABLES): RebuildColumns {
  const derived = pick(tables.accounts, ACCOUNT_DERIVED);
  const key = Object.values(getTableColumns(tables.accounts)).find((column) => column.primary)?.name;
  if (key === undefined) throw new Error(`${getTableName(tables.accounts)} has no primary key column`);
  return {
    users: { table: getTableName(tables.users), columns: namesOf(tables.users) },
    accounts: {
      table: getTableName(tables.accounts),
      key,
      owned: namesOf(tables.accounts, ACCOUNT_DERIVED),
      derived: derived.map((column) => column.name),
      // A total the rebuilt database has no row for is the column's own default (0).
      defaults: derived.map((column) => column.default ?? null),
    },
    whole: [tables.customers, tables.invoices, tables.processedEvents].map((table) => ({
      table: getTableName(table),
      columns: namesOf(table),
    })),
    consumerRows: [
      consumerRows(tables.deadLetters, DEAD_LETTER_NOT_COPIED, DEAD_LETTER_NOT_COMPARED),
      consumerRows(tables.parkedEntries, {}, PARKED_NOT_COMPARED),
    ],
  };
}

function consumerRows(
  table: SQLiteTable,
  notCopied: Record<string, string>,
  notCompared: Record<string, string>,
): ConsumerRows {
  const consumer = pick(table, ["consumer"])[0];
  if (consumer === undefined) throw new Error(`${getTableName(table)} has no consumer column`);
  return {
    table: getTableName(table),
    consumerColumn: consumer.name,
    copied: namesOf(table, Object.keys(notCopied)),
    compared: namesOf(table, Object.keys(notCompared)),
  };
}

/** The SQL names of a table's columns, but for those whose drizzle keys are left out. */
function namesOf(table: SQLiteTable, leftOut: readonly string[] = []): string[] {
  return Object.entries(getTableColumns(table))
    .filter(([key]) => !leftOut.includes(key))
    .map(([, column]) => column.name);
}

function pick(table: SQLiteTable, keys: readonly string[]) {
  const columns = getTableColumns(table);
  return keys.flatMap((key) => (columns[key] === undefined ? [] : [columns[key]]));
}
