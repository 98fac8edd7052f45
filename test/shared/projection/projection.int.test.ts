import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import { accountCreated } from "../../../accounts/domain";
import { createRevenueProjection } from "../../../accounts/revenue/handler";
import { createAccountsStore } from "../../../accounts/store";
import { accounts, customers, invoices } from "../../../accounts/tables";
import { START_OF_STREAM } from "../../../shared/events/stream-contract";
import { envelopeOf, type RawEntry } from "../../../shared/events/wire";
import { outbox } from "../../../shared/outbox/table";
import { applied } from "../../../shared/projection/handler";
import { createProjection, type Projection } from "../../../shared/projection/projection";
import { deadLetters, parkedEntries, processedEvents } from "../../../shared/projection/tables";
import { openDatabase, type SqliteDatabase } from "../../../shared/sqlite/db";
import { customerEntry, ENTRY_TIME, entry, invoiceEntry } from "../../support/entries";
import { tempDir } from "../../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "accounts");
const at = new Date("2026-11-24T10:00:00.000Z");
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A fresh accounts database holding user1 (account 1) and user2 (account 2), and its revenue projection. */
function freshProjection(parkTimeoutMs?: number): { database: SqliteDatabase; projection: Projection } {
  const dir = tempDir("streamledger-projection-");
  const database = openDatabase(join(dir.path, "accounts.sqlite"), MIGRATIONS);
  cleanups.push(dir.remove, database.close);
  const createdAt = at.toISOString();
  createAccountsStore(database.db).addUsersWithAccounts(
    ["user1", "user2"].map((username, index) => ({
      user: { username, passwordHash: "x", createdAt },
      account: { name: `account ${index + 1}`, description: "", ownedBy: username, createdDate: createdAt },
    })),
    (account) => envelopeOf(accountCreated(account), crypto.randomUUID(), at),
  );
  const newId = () => crypto.randomUUID();
  const projection = createRevenueProjection({ db: database.db, now: () => at, newId, parkTimeoutMs });
  return { database, projection };
}

const created_date = ENTRY_TIME;
const none = {
  applied: 0,
  appliedByType: expect.any(Object),
  appliedEventIds: expect.any(Array),
  deadLetters: expect.any(Array),
  duplicates: 0,
  deadLettered: 0,
  parked: 0,
};

function readModel({ db }: SqliteDatabase) {
  const totals = (rows: { id: number; totalRevenueCents: number }[]) =>
    Object.fromEntries(rows.map((row) => [row.id, row.totalRevenueCents]));
  const dlq = db.select().from(outbox).where(eq(outbox.target, "dlq")).orderBy(asc(outbox.seq)).all();
  return {
    accounts: totals(db.select().from(accounts).orderBy(asc(accounts.id)).all()),
    customers: totals(db.select().from(customers).orderBy(asc(customers.id)).all()),
    invoices: db.select().from(invoices).all().length,
    deadLetters: db.select().from(deadLetters).orderBy(asc(deadLetters.seq)).all(),
    parked: db.select().from(parkedEntries).all(),
    processedEvents: db.select().from(processedEvents).all().length,
    /** What the relay will publish to the dead-letter stream, one field map per dead letter. */
    deadLetterStream: dlq.map((row) => Object.fromEntries(pairs(row.fields))),
  };
}

function pairs(flat: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i] as string, flat[i + 1] as string]);
  return result;
}

describe("a batch of good entries", () => {
  test("is applied and moves the checkpoint to its last entry; other known types only move it", () => {
    const { database, projection } = freshProjection();
    expect(projection.position()).toBe(START_OF_STREAM);

    const result = projection.applyBatch([
      entry("1-0", "AccountCreated", { id: "3", name: "x", description: "", owned_by: "u", created_date }),
      customerEntry("2-0", 1, 1, "e-1"),
      customerEntry("3-0", 2, 2),
      invoiceEntry("4-0", 1, 1, 10000, "e-2"),
      invoiceEntry("4-1", 2, 1, 2550),
      invoiceEntry("10-0", 3, 2, 700),
    ]);

    expect(result).toEqual({ ...none, position: "10-0", applied: 5 });
    expect(projection.position()).toBe("10-0");
    expect(readModel(database)).toMatchObject({
      accounts: { 1: 12550, 2: 700 },
      customers: { 1: 12550, 2: 700 },
      invoices: 3,
      deadLetters: [],
      deadLetterStream: [],
      processedEvents: 2,
    });
  });

  test("that is empty changes nothing", () => {
    const { projection } = freshProjection();

    expect(projection.applyBatch([])).toEqual({ ...none, position: START_OF_STREAM });
    expect(projection.position()).toBe(START_OF_STREAM);
  });
});

describe("entries that cannot be applied", () => {
  test("malformed ones are dead-lettered, queued for the dead-letter stream, and later ones still count", () => {
    const { database, projection } = freshProjection();

    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1),
      { id: "2-0", fields: ["EventTypeName", "InvoiceCreated", "Payload", "{not json"] },
      { id: "3-0", fields: ["Payload", "{}"] },
      invoiceEntry("4-0", 4, 1, -5),
      invoiceEntry("5-0", 5, 1, 300),
    ]);

    expect(result).toEqual({ ...none, position: "5-0", applied: 2, deadLettered: 3 });
    const model = readModel(database);
    expect(model.deadLetters.map(({ consumer, streamId }) => ({ consumer, streamId }))).toEqual(
      ["2-0", "3-0", "4-0"].map((streamId) => ({ consumer: "accounts", streamId })),
    );
    const reasons = [
      "Payload is not valid JSON",
      "missing field EventTypeName",
      expect.stringContaining("purchase_price_cents: must be greater than zero"),
    ];
    expect(model.deadLetters.map((letter) => letter.reason)).toEqual(reasons);
    expect(model.deadLetters[0]?.fields).toEqual({ EventTypeName: "InvoiceCreated", Payload: "{not json" });
    expect(
      model.deadLetterStream.map(({ OriginalId, Consumer, Reason }) => [OriginalId, Consumer, Reason]),
    ).toEqual(["2-0", "3-0", "4-0"].map((id, index) => [id, "accounts", reasons[index]]));
    expect(JSON.parse(model.deadLetterStream[0]?.OriginalFields ?? "")).toEqual(model.deadLetters[0]?.fields);
    expect(model.accounts[1]).toBe(300);
  });

  test.each([
    [
      "a customer for an unknown account",
      customerEntry("2-0", 7, 99),
      "customer 7 names account 99, which does not exist",
    ],
    ["a customer id already taken", customerEntry("2-0", 1, 2), "customer 1 already exists"],
    [
      "a repeated invoice id without EventId (legacy)",
      invoiceEntry("2-0", 1, 1, 500),
      "invoice 1 was already counted",
    ],
  ])("%s is dead-lettered and changes nothing", (_situation, bad, reason) => {
    const { database, projection } = freshProjection();
    projection.applyBatch([customerEntry("1-0", 1, 1), invoiceEntry("1-1", 1, 1, 500)]);

    const result = projection.applyBatch([bad, invoiceEntry("3-0", 2, 1, 40)]);

    expect(result).toEqual({ ...none, position: "3-0", applied: 1, deadLettered: 1 });
    const model = readModel(database);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "2-0", reason },
    ]);
    expect(model).toMatchObject({ accounts: { 1: 540, 2: 0 }, customers: { 1: 540 }, invoices: 2 });
  });

  test("an invoice id repeated within one batch is dead-lettered once; the rest of the batch is applied", () => {
    const { database, projection } = freshProjection();
    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1),
      invoiceEntry("1-1", 1, 1, 500),
      invoiceEntry("1-2", 2, 1, 30),
      invoiceEntry("1-3", 1, 1, 7000),
      invoiceEntry("1-4", 3, 1, 4),
    ]);

    expect(result).toEqual({ ...none, position: "1-4", applied: 4, deadLettered: 1 });
    const model = readModel(database);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "1-3", reason: "invoice 1 was already counted" },
    ]);
    expect(model).toMatchObject({ accounts: { 1: 534, 2: 0 }, customers: { 1: 534 }, invoices: 3 });
  });

  test.each([
    ["AccountCreated", "InvoiceCreated"],
    ["InvoiceCreated", "AccountCreated"],
  ])("an entry whose EventTypeName is repeated (%s, then %s) is dead-lettered", (first, second) => {
    const { database, projection } = freshProjection();
    const repeated: RawEntry = {
      id: "1-0",
      fields: ["EventTypeName", first, "EventTypeName", second, "Payload", "{}"],
    };
    expect(projection.applyBatch([repeated])).toEqual({ ...none, position: "1-0", deadLettered: 1 });
    expect(readModel(database).deadLetters.map(({ reason }) => reason)).toEqual([
      "field repeated: EventTypeName",
    ]);
  });
});

describe("an invoice for a customer not seen yet", () => {
  test("is parked, then counted once when the customer arrives in a later batch", () => {
    const { database, projection } = freshProjection();

    expect(projection.applyBatch([invoiceEntry("1000-0", 1, 5, 900, "e-1")])).toEqual({
      ...none,
      position: "1000-0",
      parked: 1,
    });
    expect(readModel(database)).toMatchObject({ accounts: { 1: 0 }, invoices: 0, deadLetters: [] });
    expect(readModel(database).parked).toMatchObject([{ streamId: "1000-0", awaiting: "customer:5" }]);

    expect(projection.applyBatch([customerEntry("2000-0", 5, 1)])).toEqual({
      ...none,
      position: "2000-0",
      applied: 2,
    });
    expect(readModel(database)).toMatchObject({ accounts: { 1: 900 }, customers: { 5: 900 }, parked: [] });
  });

  test("is counted when its customer comes later in the same batch", () => {
    const { database, projection } = freshProjection();

    const result = projection.applyBatch([invoiceEntry("1-0", 1, 5, 900), customerEntry("2-0", 5, 1)]);

    expect(result).toEqual({ ...none, position: "2-0", applied: 2, parked: 1 });
    expect(readModel(database)).toMatchObject({ accounts: { 1: 900 }, parked: [], deadLetters: [] });
  });

  test("is dead-lettered once more than parkTimeoutMs of stream time passed without its customer", () => {
    const { database, projection } = freshProjection(1000);
    projection.applyBatch([invoiceEntry("5000-0", 1, 5, 900)]);

    expect(projection.applyBatch([customerEntry("6000-0", 1, 1)])).toMatchObject({ deadLettered: 0 });
    expect(projection.applyBatch([customerEntry("6001-0", 2, 1)])).toMatchObject({ deadLettered: 1 });

    expect(readModel(database)).toMatchObject({ accounts: { 1: 0 }, parked: [] });
    expect(readModel(database).deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      {
        streamId: "5000-0",
        reason: "invoice 1 names customer 5, not seen yet; gave up after waiting 1000 ms of stream time",
      },
    ]);
  });

  test.each([
    ["one batch", [3]],
    ["one entry per batch", [1, 1, 1]],
    ["two batches", [2, 1]],
  ])("is counted or dead-lettered the same whichever way the stream is split (%s)", (_, sizes) => {
    const { database, projection } = freshProjection(1000);
    const stream = [
      invoiceEntry("1000-0", 1, 5, 900),
      customerEntry("2001-0", 1, 1),
      customerEntry("2002-0", 5, 1),
    ];
    let offset = 0;
    for (const size of sizes as number[]) {
      projection.applyBatch(stream.slice(offset, offset + size));
      offset += size;
    }
    const model = readModel(database);
    expect(model).toMatchObject({ accounts: { 1: 0 }, invoices: 0, parked: [] });
    expect(model.deadLetters.map(({ streamId }) => streamId)).toEqual(["1000-0"]);
  });
});

describe("an event seen twice", () => {
  test("with the same EventId is applied once, within a batch and across batches", () => {
    const { database, projection } = freshProjection();

    const first = projection.applyBatch([
      customerEntry("1-0", 1, 1, "customer-1"),
      invoiceEntry("2-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("3-0", 1, 1, 500, "invoice-1"),
    ]);
    const second = projection.applyBatch([invoiceEntry("4-0", 1, 1, 500, "invoice-1")]);

    expect(first).toEqual({ ...none, position: "3-0", applied: 2, duplicates: 1 });
    expect(second).toEqual({ ...none, position: "4-0", duplicates: 1 });
    expect(readModel(database)).toMatchObject({ accounts: { 1: 500 }, invoices: 1, deadLetters: [] });
  });
});

describe("dedupe, for a handler whose effect is not idempotent", () => {
  /** A projection that adds 1 to account 1's total for every CustomerUpdated it applies. */
  function countingProjection(skip?: (entry: RawEntry) => boolean) {
    const { database } = freshProjection();
    const projection = createProjection({
      db: database.db,
      name: "counting",
      handles: ["CustomerUpdated"],
      handle: (tx) => {
        tx.update(accounts)
          .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + 1` })
          .where(eq(accounts.id, 1))
          .run();
        return applied();
      },
      skip,
      now: () => at,
      newId: () => crypto.randomUUID(),
    });
    const count = () => readModel(database).accounts[1];
    return { projection, count, database };
  }
  const updated = (streamId: string, eventId: string) =>
    entry(
      streamId,
      "CustomerUpdated",
      { id: "1", account_id: "1", name: "n", updated_date: ENTRY_TIME },
      eventId,
    );

  test("an EventId applied in an earlier batch is a duplicate, wherever it comes in a later one", () => {
    const { projection, count } = countingProjection();
    projection.applyBatch([updated("1-0", "e1"), updated("1-1", "e2")]);

    const again = projection.applyBatch([updated("2-0", "e3"), updated("2-1", "e1"), updated("2-2", "e4")]);

    expect(again).toMatchObject({
      position: "2-2",
      applied: 2,
      duplicates: 1,
      appliedEventIds: ["e3", "e4"],
    });
    expect(count()).toBe(4);
  });

  test("an EventId repeated within a batch counts once", () => {
    const { projection, count } = countingProjection();

    const result = projection.applyBatch([updated("1-0", "e1"), updated("1-1", "e2"), updated("1-2", "e1")]);

    expect(result).toMatchObject({ applied: 2, duplicates: 1 });
    expect(count()).toBe(2);
    expect(projection.applyBatch([updated("2-0", "e2")])).toMatchObject({ applied: 0, duplicates: 1 });
    expect(count()).toBe(2);
  });

  test("entries `skip` picks are passed undecoded: not applied, recorded nor dead-lettered", () => {
    const { projection, count, database } = countingProjection((raw) => raw.fields.includes("skipped"));
    const malformed = entry("1-1", "CustomerUpdated", { id: "x" }, "skipped");

    const result = projection.applyBatch([updated("1-0", "e1"), malformed, updated("1-2", "skipped")]);

    expect(result).toMatchObject({ position: "1-2", applied: 1, deadLettered: 0, duplicates: 0 });
    expect(count()).toBe(1);
    expect(readModel(database).deadLetters).toEqual([]);
    expect(projection.entriesRead()).toBe(3);
  });

  test("more EventIds in a batch than one statement records are all recorded", () => {
    const { projection, count } = countingProjection();
    const batch = Array.from({ length: 250 }, (_, i) => updated(`1-${i}`, `e${i}`));

    expect(projection.applyBatch(batch)).toMatchObject({ applied: 250, duplicates: 0 });
    const replayed = batch.map((original, i) => ({ ...original, id: `2-${i}` }));
    expect(projection.applyBatch(replayed)).toMatchObject({ applied: 0, duplicates: 250 });
    expect(count()).toBe(250);
  });
});

describe("a batch whose last entry is rejected", () => {
  test("counts the entries before it once, records their EventIds once, and dead-letters it once", () => {
    const { database, projection } = freshProjection();

    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1, "customer-1"),
      invoiceEntry("2-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("3-0", 2, 1, 70, "invoice-2"),
      invoiceEntry("4-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("5-0", 2, 1, 70, "invoice-2-again"),
    ]);

    expect(result).toEqual({ ...none, position: "5-0", applied: 3, duplicates: 1, deadLettered: 1 });
    expect(result.appliedEventIds).toEqual(["customer-1", "invoice-1", "invoice-2"]);
    const model = readModel(database);
    expect(model).toMatchObject({ accounts: { 1: 570 }, customers: { 1: 570 }, invoices: 2 });
    expect(model.processedEvents).toBe(3);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "5-0", reason: "invoice 2 was already counted" },
    ]);
    expect(model.deadLetterStream).toHaveLength(1);
  });
});

describe("a batch whose handler fails for a reason other than a rejection", () => {
  test("writes neither its effects nor its checkpoint, and counts each invoice once when applied again", () => {
    const { database, projection } = freshProjection();
    projection.applyBatch([customerEntry("1-0", 1, 1), invoiceEntry("2-0", 1, 1, 1000, "e-1")]);
    const before = readModel(database);
    // A second connection on the same file, as an operator would have: invoice 3 cannot be inserted.
    const operator = new Database(database.path);
    cleanups.push(() => operator.close());
    operator.exec(
      "CREATE TRIGGER refuse_invoice_3 BEFORE INSERT ON invoices WHEN NEW.id = 3 BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const batch = [
      invoiceEntry("3-0", 2, 1, 20, "e-2"),
      { id: "3-1", fields: ["EventTypeName", "InvoiceCreated"] },
      invoiceEntry("3-2", 9, 8, 1, "e-9"),
      invoiceEntry("4-0", 3, 1, 300, "e-3"),
      invoiceEntry("5-0", 4, 1, 4000),
    ];

    expect(() => projection.applyBatch(batch)).toThrow("disk trouble");

    expect(projection.position()).toBe("2-0");
    expect(readModel(database)).toEqual(before);

    operator.exec("DROP TRIGGER refuse_invoice_3");
    expect(projection.applyBatch(batch)).toEqual({
      position: "5-0",
      applied: 3,
      appliedByType: { InvoiceCreated: 3 },
      appliedEventIds: expect.any(Array),
      deadLetters: [expect.objectContaining({ reason: expect.any(String) })],
      duplicates: 0,
      deadLettered: 1,
      parked: 1,
    });
    const after = readModel(database);
    expect(after).toMatchObject({
      accounts: { 1: 5320 },
      customers: { 1: 5320 },
      invoices: 4,
      processedEvents: 3,
    });
    expect(after.deadLetters.map((letter) => letter.streamId)).toEqual(["3-1"]);
    expect(after.parked.map((parked) => parked.streamId)).toEqual(["3-2"]);
  });
});
