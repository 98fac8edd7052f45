import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import { currentRuntime, type Runtime } from "../process/runtime";

/** drizzle's common synchronous SQLite API: store code is written against this, not a driver. */
export type Db = BaseSQLiteDatabase<"sync", unknown>;

/** Rows a write changed, as bun:sqlite, better-sqlite3 and node:sqlite all report it. */
export function changesOf(result: unknown): number {
  const changes = (result as { changes?: number | bigint } | undefined)?.changes;
  if (changes === undefined) throw new Error("the SQLite driver did not report the rows a write changed");
  return Number(changes);
}

/** The driver's own connection under drizzle (bun:sqlite, better-sqlite3 and the node:sqlite adapter). */
export type RawConnection = { prepare(sql: string): { run(...params: SqlValue[]): unknown } };

/** A value bound to a statement's parameter. */
export type SqlValue = string | number | null;

/** The connection under `db`, for statements drizzle would build on every call; undefined if not exposed. */
export function rawConnectionOf(db: Db): RawConnection | undefined {
  const connection = (db as { $client?: Partial<RawConnection> }).$client;
  return typeof connection?.prepare === "function" ? (connection as RawConnection) : undefined;
}

export type SqliteDatabase = { db: Db; path: string; close(): void };

/** One SQLite driver behind drizzle: how to open a file, run a statement on it, and migrate it. */
export type SqliteDriver = {
  name: string;
  open(
    path: string,
    options: { readonly: boolean },
  ): { db: Db; exec(statement: string): void; migrate(migrationsFolder: string): void; close(): void };
};

/** The SQLite driver for a runtime, loaded only there (each imports a module the others cannot load). */
export async function loadSqliteDriver(runtime: Runtime): Promise<SqliteDriver> {
  switch (runtime) {
    case "bun":
      return (await import("./drivers/bun")).bunSqlite;
    case "node":
      return (await import("./drivers/better-sqlite3")).betterSqlite3;
    case "deno":
      return (await import("./drivers/node-sqlite")).nodeSqlite;
  }
}

const driver = await loadSqliteDriver(currentRuntime());

/** The name of the SQLite driver this process uses (`bun:sqlite`, `better-sqlite3` or `node:sqlite`). */
export const sqliteDriverName = driver.name;

/**
 * Opens (creating if needed) a SQLite file in WAL mode with full fsync on commit, and applies the
 * drizzle-kit migrations in `migrationsFolder`. `walAutocheckpointPages` replaces SQLite's 1000: a
 * checkpoint runs inside the commit that crosses it.
 */
export function openDatabase(
  path: string,
  migrationsFolder: string,
  options: { walAutocheckpointPages?: number } = {},
): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = driver.open(path, { readonly: false });
  // First: switching a new file to WAL needs it to itself, and a reader that opened it a moment before
  // (a monitoring script, the bench's watcher) would otherwise fail the start with "database is locked".
  sqlite.exec("PRAGMA busy_timeout = 5000");
  sqlite.exec("PRAGMA journal_mode = WAL");
  // FULL: a commit that returned survives a power loss; a 201 promises exactly that.
  sqlite.exec("PRAGMA synchronous = FULL");
  if (options.walAutocheckpointPages !== undefined) {
    sqlite.exec(`PRAGMA wal_autocheckpoint = ${Math.floor(options.walAutocheckpointPages)}`);
  }
  sqlite.exec("PRAGMA foreign_keys = ON");
  sqlite.migrate(migrationsFolder);
  return { db: sqlite.db, path, close: () => sqlite.close() };
}

/**
 * Opens an existing SQLite file as it is, without migrations: read-only for inspecting a running
 * service's database, or writable for maintenance that brings its own transactions.
 */
export function connectDatabase(
  path: string,
  options: { readonly: boolean; busyTimeoutMs: number },
): SqliteDatabase & { exec(statement: string): void } {
  const sqlite = driver.open(path, { readonly: options.readonly });
  sqlite.exec(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
  return { db: sqlite.db, path, exec: (statement) => sqlite.exec(statement), close: () => sqlite.close() };
}
