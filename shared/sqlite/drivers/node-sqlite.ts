import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type BetterSqlite3 from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { SqliteDriver } from "../db";

/**
 * The runtime's built-in `node:sqlite` (used under Deno, which cannot load better-sqlite3's V8 addon),
 * behind drizzle's better-sqlite3 driver: node:sqlite is synchronous too, and this adapter gives it the
 * few better-sqlite3 calls that driver makes (prepare with run/all/get/raw, and transaction).
 */
export const nodeSqlite: SqliteDriver = {
  name: "node:sqlite",
  open(path, options) {
    const sqlite = new DatabaseSync(path, { readOnly: options.readonly });
    const db = drizzle({ client: asBetterSqlite3(sqlite) });
    return {
      db,
      exec: (statement) => sqlite.exec(statement),
      migrate: (migrationsFolder) => migrate(db, { migrationsFolder }),
      close: () => sqlite.close(),
    };
  },
};

type Params = SQLInputValue[];

function statement(stmt: StatementSync) {
  // better-sqlite3's raw(): rows as arrays of column values, which drizzle maps to its selected fields.
  const asArrays = <T>(read: () => T): T => {
    stmt.setReturnArrays(true);
    try {
      return read();
    } finally {
      stmt.setReturnArrays(false);
    }
  };
  const self = {
    run: (...params: Params) => stmt.run(...params),
    all: (...params: Params) => stmt.all(...params),
    get: (...params: Params) => stmt.get(...params),
    raw: () => ({
      all: (...params: Params) => asArrays(() => stmt.all(...params)),
      get: (...params: Params) => asArrays(() => stmt.get(...params)),
    }),
  };
  return self;
}

function asBetterSqlite3(sqlite: DatabaseSync): BetterSqlite3.Database {
  const transaction = <A extends unknown[], R>(work: (...args: A) => R) => {
    const run =
      (begin: string) =>
      (...args: A): R => {
        sqlite.exec(begin);
        try {
          const result = work(...args);
          if (result instanceof Promise)
            throw new TypeError("a transaction function cannot return a promise");
          sqlite.exec("COMMIT");
          return result;
        } catch (error) {
          if (sqlite.isTransaction) sqlite.exec("ROLLBACK");
          throw error;
        }
      };
    return Object.assign(run("BEGIN"), {
      deferred: run("BEGIN DEFERRED"),
      immediate: run("BEGIN IMMEDIATE"),
      exclusive: run("BEGIN EXCLUSIVE"),
    });
  };
  const client = {
    prepare: (sql: string) => statement(sqlite.prepare(sql)),
    exec: (sql: string) => {
      sqlite.exec(sql);
      return client;
    },
    transaction,
    close: () => sqlite.close(),
  };
  return client as unknown as BetterSqlite3.Database;
}
