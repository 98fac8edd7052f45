import { Database } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate } from "drizzle-orm/bun-sqlite/migrator";
import type { SqliteDriver } from "../db";

/** Bun's built-in SQLite. */
export const bunSqlite: SqliteDriver = {
  name: "bun:sqlite",
  open(path, options) {
    const sqlite = options.readonly
      ? new Database(path, { readonly: true, strict: true })
      : new Database(path, { create: true, strict: true });
    const db = drizzle({ client: sqlite });
    return {
      db,
      exec: (statement) => sqlite.exec(statement),
      migrate: (migrationsFolder) => migrate(db, { migrationsFolder }),
      close: () => sqlite.close(),
    };
  },
};
