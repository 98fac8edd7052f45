import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";

/** drizzle's common synchronous SQLite API: store code is written against this, not a driver. */
export type Db = BaseSQLiteDatabase<"sync", unknown>;

export type SqliteDatabase = { db: Db; path: string; close(): void };

/**
 * Opens (creating if needed) a SQLite file in WAL mode with full fsync on commit, and applies the
 * drizzle-kit migrations in `migrationsFolder`.
 */
export function openDatabase(path: string, migrationsFolder: string): SqliteDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const sqlite = new Database(path, { create: true, strict: true });
  sqlite.exec("PRAGMA journal_mode = WAL");
  // FULL: a commit that returned survives a power loss; a 201 promises exactly that.
  sqlite.exec("PRAGMA synchronous = FULL");
  sqlite.exec("PRAGMA busy_timeout = 5000");
  sqlite.exec("PRAGMA foreign_keys = ON");
  const db = drizzle({ client: sqlite });
  migrate(db, { migrationsFolder });
  return { db, path, close: () => sqlite.close() };
}
