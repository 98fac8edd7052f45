import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { asc } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { bulkAdder, bulkInserter } from "../../../shared/sqlite/bulk-writes";
import { connectDatabase } from "../../../shared/sqlite/db";
import { cleanupAfterEach } from "../../support/lifecycle";
import { tempDir } from "../../support/resources";

const totals = sqliteTable("totals", {
  id: integer("id").primaryKey(),
  label: text("label").notNull(),
  amount: integer("amount").notNull(),
});

const cleanups = cleanupAfterEach();

/** A real SQLite file holding `totals`, with ids 1..rowCount at amount 0. */
function freshTotals(rowCount: number) {
  const dir = tempDir("streamledger-bulk-");
  const database = connectDatabase(join(dir.path, "bulk.sqlite"), { readonly: false, busyTimeoutMs: 1000 });
  cleanups.push(dir.remove, database.close);
  database.exec("CREATE TABLE totals (id integer PRIMARY KEY, label text NOT NULL, amount integer NOT NULL)");
  const insert = bulkInserter(database.db, totals, [totals.id, totals.label, totals.amount]);
  if (!insert) throw new Error("the driver's connection is not exposed");
  expect(insert(Array.from({ length: rowCount }, (_, index) => [index + 1, `row ${index + 1}`, 0]))).toBe(
    rowCount,
  );
  const amounts = () =>
    database.db
      .select({ id: totals.id, amount: totals.amount })
      .from(totals)
      .orderBy(asc(totals.id))
      .all()
      .map((row) => [row.id, row.amount]);
  return { db: database.db, insert, amounts };
}

describe("bulkInserter", () => {
  test("inserts more rows than one statement holds and counts only the rows that did not conflict", () => {
    const { insert, amounts } = freshTotals(250);
    expect(amounts()).toHaveLength(250);
    // 249 and 250 exist; 251 is new and given twice: inserted once.
    expect(
      insert([
        [249, "again", 5],
        [251, "new", 7],
        [250, "again", 5],
        [251, "repeated", 9],
      ]),
    ).toBe(1);
    expect(amounts().slice(-3)).toEqual([
      [249, 0],
      [250, 0],
      [251, 7],
    ]);
  });
});

describe("bulkAdder", () => {
  test("adds each amount to its own row across statements of a hundred, and counts the rows found", () => {
    const { db, amounts } = freshTotals(300);
    const add = bulkAdder(db, totals, totals.id, totals.amount);
    if (!add) throw new Error("the driver's connection is not exposed");
    // Every row but 7, in an order unlike the table's, plus an id that does not exist.
    const deltas: [number, number][] = [];
    for (let id = 300; id >= 1; id--) if (id !== 7) deltas.push([id, id * 3 - 500]);
    deltas.splice(150, 0, [999, 42]);
    expect(add(deltas)).toBe(299);
    expect(amounts()).toEqual(
      Array.from({ length: 300 }, (_, index) => [index + 1, index + 1 === 7 ? 0 : (index + 1) * 3 - 500]),
    );
    expect(add([[5, 10]])).toBe(1);
    expect(add([])).toBe(0);
    expect(amounts()[4]).toEqual([5, 15 - 500 + 10]);
  });
});
