import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { connectDatabase, type Db } from "../../../shared/sqlite/db";
import { savepointOf } from "../../../shared/sqlite/savepoints";
import { immediateTransactionsOf } from "../../../shared/sqlite/transactions";
import { tempDir } from "../../support/resources";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A new SQLite file with one table of numbers, and what it holds. */
function numbersDatabase(): { db: Db; numbers(): number[] } {
  const dir = tempDir("streamledger-transactions-");
  const database = connectDatabase(join(dir.path, "numbers.sqlite"), {
    readonly: false,
    busyTimeoutMs: 1000,
  });
  cleanups.push(dir.remove, database.close);
  database.exec("CREATE TABLE numbers (n INTEGER NOT NULL)");
  const { db } = database;
  return {
    db,
    numbers: () => db.all<{ n: number }>(sql`SELECT n FROM numbers ORDER BY n`).map((row) => row.n),
  };
}

const insert = (db: Db, n: number) => db.run(sql`INSERT INTO numbers (n) VALUES (${n})`);

describe("an immediate transaction ended by its work's value", () => {
  test("commits what the work wrote when its value says so, and returns the value", () => {
    const { db, numbers } = numbersDatabase();
    const inTransaction = immediateTransactionsOf(db);

    const value = inTransaction({
      work: () => {
        insert(db, 1);
        return "kept";
      },
      commits: () => true,
    });

    expect(value).toBe("kept");
    expect(numbers()).toEqual([1]);
  });

  test("rolls back without a throw when its value says so, tells afterRollback, and returns the value", () => {
    const { db, numbers } = numbersDatabase();
    const inTransaction = immediateTransactionsOf(db);
    let rolledBack = 0;

    const value = inTransaction({
      work: () => {
        insert(db, 1);
        return "dropped";
      },
      commits: (outcome) => outcome !== "dropped",
      afterRollback: () => rolledBack++,
    });

    expect(value).toBe("dropped");
    expect(numbers()).toEqual([]);
    expect(rolledBack).toBe(1);
    inTransaction({ work: () => insert(db, 2), commits: () => true });
    expect(numbers()).toEqual([2]);
  });

  test("rolls back when the work throws, tells afterRollback, and lets the failure out", () => {
    const { db, numbers } = numbersDatabase();
    const inTransaction = immediateTransactionsOf(db);
    let rolledBack = 0;
    const failing = () => {
      insert(db, 1);
      throw new Error("disk trouble");
    };

    expect(() =>
      inTransaction({ work: failing, commits: () => true, afterRollback: () => rolledBack++ }),
    ).toThrow("disk trouble");
    expect(numbers()).toEqual([]);
    expect(rolledBack).toBe(1);
  });

  test("lets out the work's own failure when SQLite had already rolled the transaction back", () => {
    const { db, numbers } = numbersDatabase();
    const inTransaction = immediateTransactionsOf(db);
    const failing = () => {
      insert(db, 1);
      db.run(sql`ROLLBACK`);
      throw new Error("disk full");
    };

    expect(() => inTransaction({ work: failing, commits: () => true })).toThrow("disk full");
    expect(numbers()).toEqual([]);
    inTransaction({ work: () => insert(db, 2), commits: () => true });
    expect(numbers()).toEqual([2]);
  });
});

describe("a savepoint", () => {
  test("rolled back undoes only what was written in it; released keeps it", () => {
    const { db, numbers } = numbersDatabase();
    const inTransaction = immediateTransactionsOf(db);
    const savepoint = savepointOf(db, "probe");

    inTransaction({
      work: () => {
        insert(db, 1);
        savepoint.open();
        insert(db, 2);
        savepoint.rollBack();
        savepoint.open();
        insert(db, 3);
        savepoint.release();
      },
      commits: () => true,
    });

    expect(numbers()).toEqual([1, 3]);
  });
});
