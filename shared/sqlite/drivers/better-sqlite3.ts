import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { SqliteDriver } from "../db";

/** better-sqlite3, the native SQLite binding for Node.js (built from source at install). */
export const betterSqlite3: SqliteDriver = {
  name: "better-sqlite3",
  open(path, options) {
    const sqlite = new Database(path, { readonly: options.readonly, fileMustExist: options.readonly });
    const db = drizzle({ client: sqlite });
    return {
      db,
      exec: (statement) => void sqlite.exec(statement),
      migrate: (migrationsFolder) => migrate(db, { migrationsFolder }),
      close: () => sqlite.close(),
    };
  },
};
