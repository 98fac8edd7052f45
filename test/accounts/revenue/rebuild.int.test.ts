import { describe, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { accountCreated } from "../../../accounts/domain";
import { createRevenueProjection } from "../../../accounts/revenue/handler";
import { type RebuildDeps, rebuildAccountsReadModel } from "../../../accounts/revenue/rebuild";
import { READ_MODEL_TABLES } from "../../../accounts/revenue/rebuild-columns";
import { createAccountsStore } from "../../../accounts/store";
import { envelopeOf } from "../../../shared/events/wire";
import { openDatabase } from "../../../shared/sqlite/db";
import { customerEntry, invoiceEntry } from "../../support/entries";
import { cleanupAfterEach } from "../../support/lifecycle";
import { startRedis, tempDir, uniqueStreamKey } from "../../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "accounts");
const at = new Date("2026-11-24T10:00:00.000Z");
const cleanups = cleanupAfterEach();

/** A copy of accounts' customers table with one more column, as a schema change would add it. */
const customersWithNote = sqliteTable("customers", {
  id: integer("id").primaryKey(),
  accountId: integer("account_id").notNull(),
  name: text("name").notNull(),
  totalRevenueCents: integer("total_revenue_cents").notNull().default(0),
  deletedDate: text("deleted_date"),
  note: text("note").notNull().default(""),
});
const TABLES_WITH_NOTE = { ...READ_MODEL_TABLES, customers: customersWithNote };

/**
 * accounts' migrations plus one adding the note column. `derived` adds a trigger deriving each note from
 * the customer's name: the stand-in for a projection that writes the new column, which the live
 * database (filled before it existed) lacks.
 */
function migrationsWithNote(folder: string, derived: boolean): string {
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as {
    entries: { idx: number; when: number }[];
  };
  const last = journal.entries[journal.entries.length - 1] as { idx: number; when: number };
  const statements = [`ALTER TABLE customers ADD note text DEFAULT '' NOT NULL;`];
  if (derived) {
    statements.push(`CREATE TRIGGER customers_note AFTER INSERT ON customers BEGIN
      UPDATE customers SET note = 'note of ' || NEW.name WHERE id = NEW.id;
    END;`);
  }
  const tag = `${String(last.idx + 1).padStart(4, "0")}_customer_note`;
  writeFileSync(join(folder, `${tag}.sql`), statements.join("\n--> statement-breakpoint\n"));
  journal.entries.push({
    ...last,
    idx: last.idx + 1,
    when: last.when + 1,
    tag,
  } as (typeof journal.entries)[0]);
  writeFileSync(journalPath, JSON.stringify(journal, null, 2));
  return folder;
}

/**
 * A live accounts database with the note column, caught up with a stream of two customers and three
 * invoices on a real Redis; the rebuild it is given replays with the migrations that derive notes.
 */
async function liveWithNotes() {
  const dir = tempDir("streamledger-rebuild-");
  const redis = await startRedis();
  cleanups.push(dir.remove, () => redis.stop());
  const livePath = join(dir.path, "accounts.sqlite");
  const live = openDatabase(livePath, migrationsWithNote(join(dir.path, "live-migrations"), false));
  createAccountsStore(live.db).addUsersWithAccounts(
    [
      {
        user: { username: "user1", passwordHash: "x", createdAt: at.toISOString() },
        account: { name: "account 1", description: "", ownedBy: "user1", createdDate: at.toISOString() },
      },
    ],
    (account) => envelopeOf(accountCreated(account), crypto.randomUUID(), at),
  );
  const streamKey = uniqueStreamKey();
  const events = [
    customerEntry("*", 1, 1, "event-1"),
    customerEntry("*", 2, 1, "event-2"),
    invoiceEntry("*", 10, 1, 500, "event-3"),
    invoiceEntry("*", 11, 2, 700, "event-4"),
    invoiceEntry("*", 12, 1, 300, "event-5"),
  ];
  for (const event of events) await redis.client.xadd(streamKey, "*", ...event.fields);
  const entries = (await redis.client.xrange(streamKey, "-", "+")).map(([id, fields]) => ({ id, fields }));
  createRevenueProjection({ db: live.db, now: () => at, newId: () => crypto.randomUUID() }).applyBatch(
    entries,
  );
  live.close();
  const rebuild = (options: Pick<RebuildDeps, "verify" | "tables">) =>
    rebuildAccountsReadModel({
      livePath,
      migrationsFolder: migrationsWithNote(join(dir.path, `rebuild-migrations-${crypto.randomUUID()}`), true),
      redis: redis.client,
      streamKey,
      parkTimeoutMs: 60_000,
      now: () => at,
      ...options,
    });
  const liveNotes = () => {
    const database = openDatabase(livePath, join(dir.path, "live-migrations"));
    try {
      return database.db
        .select()
        .from(customersWithNote)
        .all()
        .map(({ id, note }) => ({ id, note }));
    } finally {
      database.close();
    }
  };
  return { rebuild, liveNotes };
}

/** A --verify line split into its table, its side and its row. */
function parseDifference(line: string) {
  const [, table, side, row] = /^(\w+): (live|rebuilt) has (.*)$/.exec(line) ?? [];
  return { table, side, row: JSON.parse(row ?? "null") as Record<string, unknown> };
}

describe("a rebuild carries a column added to the schema", () => {
  test("--verify over a copy of customers with a note column reports differences in the note alone", async () => {
    const { rebuild } = await liveWithNotes();

    const report = await rebuild({ verify: true, tables: TABLES_WITH_NOTE });

    const found = report.differences.map(parseDifference);
    expect(found.map(({ table, side, row }) => [table, side, row.id, row.note])).toEqual([
      ["customers", "live", 1, ""],
      ["customers", "live", 2, ""],
      ["customers", "rebuilt", 1, "note of Customer 1"],
      ["customers", "rebuilt", 2, "note of Customer 2"],
    ]);
    const withoutNote = (side: string) =>
      found.filter((difference) => difference.side === side).map(({ row: { note: _, ...rest } }) => rest);
    expect(withoutNote("live")).toEqual(withoutNote("rebuilt"));
    expect(report.swapped).toBe(false);
  }, 30_000);

  test("a swap over the copy brings the rebuilt notes into the live database, after which --verify finds none", async () => {
    const { rebuild, liveNotes } = await liveWithNotes();

    const report = await rebuild({ verify: false, tables: TABLES_WITH_NOTE });

    expect(report.swapped).toBe(true);
    expect(liveNotes()).toEqual([
      { id: 1, note: "note of Customer 1" },
      { id: 2, note: "note of Customer 2" },
    ]);
    expect((await rebuild({ verify: true, tables: TABLES_WITH_NOTE })).differences).toEqual([]);
  }, 30_000);

  test("with the tables it was written for, the rebuild neither compares nor carries the note (the columns come from the tables)", async () => {
    const { rebuild, liveNotes } = await liveWithNotes();

    expect((await rebuild({ verify: true })).differences).toEqual([]);
    expect((await rebuild({ verify: false })).swapped).toBe(true);
    expect(liveNotes()).toEqual([
      { id: 1, note: "" },
      { id: 2, note: "" },
    ]);
  }, 30_000);
});
