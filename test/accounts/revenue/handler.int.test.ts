import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { asc, eq, sql } from "drizzle-orm";
import { accountCreated } from "../../../accounts/domain";
import { ACCOUNTS_PROJECTION, createRevenueProjection } from "../../../accounts/revenue/handler";
import { createAccountsStore } from "../../../accounts/store";
import { accounts, customers, invoices } from "../../../accounts/tables";
import { envelopeOf, type RawEntry } from "../../../shared/events/wire";
import type { Projection } from "../../../shared/projection/projection";
import { deadLetters, parkedEntries, processedEvents } from "../../../shared/projection/tables";
import { openDatabase, type SqliteDatabase } from "../../../shared/sqlite/db";
import { tempDir } from "../../support/resources";
import { foldRevenue } from "../../support/revenue-fold";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "accounts");
const at = new Date("2026-11-24T10:00:00.000Z");
const created_date = at.toISOString();
const deleted_date = "2026-12-01T09:30:00.000Z";
const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

type Fresh = { database: SqliteDatabase; projection: Projection; accountIds: number[] };

/** A fresh accounts database holding user1 (account 1) and user2 (account 2), and its revenue projection. */
function fresh(parkTimeoutMs?: number): Fresh {
  const dir = tempDir("streamledger-domain-events-");
  const database = openDatabase(join(dir.path, "accounts.sqlite"), MIGRATIONS);
  cleanups.push(dir.remove, database.close);
  createAccountsStore(database.db).addUsersWithAccounts(
    ["user1", "user2"].map((username, index) => ({
      user: { username, passwordHash: "x", createdAt: created_date },
      account: {
        name: `account ${index + 1}`,
        description: "",
        ownedBy: username,
        createdDate: created_date,
      },
    })),
    (account) => envelopeOf(accountCreated(account), crypto.randomUUID(), at),
  );
  const projection = createRevenueProjection({
    db: database.db,
    now: () => at,
    newId: () => crypto.randomUUID(),
    parkTimeoutMs,
  });
  return { database, projection, accountIds: [1, 2] };
}

let eventCounter = 0;
const entry = (
  id: string,
  type: string,
  payload: unknown,
  eventId = `event-${++eventCounter}`,
): RawEntry => ({
  id,
  fields: ["EventTypeName", type, "Payload", JSON.stringify(payload), "EventId", eventId],
});
const customerCreated = (streamId: string, id: number, accountId: number, eventId?: string) =>
  entry(
    streamId,
    "CustomerCreated",
    { id: String(id), account_id: String(accountId), name: `Customer ${id}`, created_date },
    eventId,
  );
const customerUpdated = (streamId: string, id: number, accountId: number, name: string) =>
  entry(streamId, "CustomerUpdated", {
    id: String(id),
    account_id: String(accountId),
    name,
    updated_date: deleted_date,
  });
const customerDeleted = (streamId: string, id: number, accountId: number, eventId?: string) =>
  entry(
    streamId,
    "CustomerDeleted",
    { id: String(id), account_id: String(accountId), deleted_date },
    eventId,
  );
const invoiceCreated = (streamId: string, id: number, customerId: number, cents: number, eventId?: string) =>
  entry(
    streamId,
    "InvoiceCreated",
    {
      id: String(id),
      customer_id: String(customerId),
      purchase_price_cents: cents,
      purchase_date: "2019-01-06",
      created_date,
    },
    eventId,
  );
const invoiceDeleted = (streamId: string, id: number, customerId: number, cents: number, eventId?: string) =>
  entry(
    streamId,
    "InvoiceDeleted",
    { id: String(id), customer_id: String(customerId), purchase_price_cents: cents, deleted_date },
    eventId,
  );
const accountDeleted = (streamId: string, id: number) =>
  entry(streamId, "AccountDeleted", { id: String(id), owned_by: "user1", deleted_date });

function readModelOf({ db }: SqliteDatabase) {
  return {
    accounts: Object.fromEntries(
      db
        .select()
        .from(accounts)
        .orderBy(asc(accounts.id))
        .all()
        .map((row) => [row.id, row.totalRevenueCents]),
    ),
    customers: Object.fromEntries(
      db
        .select()
        .from(customers)
        .orderBy(asc(customers.id))
        .all()
        .map((row) => [row.id, { name: row.name, total: row.totalRevenueCents, deleted: row.deletedDate }]),
    ),
    invoices: Object.fromEntries(
      db
        .select()
        .from(invoices)
        .orderBy(asc(invoices.id))
        .all()
        .map((row) => [row.id, { customer: row.customerId, deleted: row.deletedDate }]),
    ),
    deadLetters: db
      .select()
      .from(deadLetters)
      .where(eq(deadLetters.consumer, ACCOUNTS_PROJECTION))
      .orderBy(asc(deadLetters.seq))
      .all()
      .map((row) => ({ streamId: row.streamId, reason: row.reason })),
    parked: db
      .select()
      .from(parkedEntries)
      .all()
      .map((row) => ({ streamId: row.streamId, awaiting: row.awaiting })),
    processed: db.select().from(processedEvents).all().length,
  };
}

/** The pure fold over the same entries must end where the database did. */
function expectFoldAgrees(state: Fresh, entries: RawEntry[], parkTimeoutMs?: number) {
  const folded = foldRevenue(state.accountIds, entries, { parkTimeoutMs });
  const model = readModelOf(state.database);
  expect(Object.fromEntries(folded.accountTotals)).toEqual(model.accounts);
  expect(
    Object.fromEntries(
      [...folded.customers].map(([id, customer]) => [
        id,
        {
          name: customer.name,
          total: customer.total,
          deleted: folded.deletedCustomers.has(id) ? expect.any(String) : null,
        },
      ]),
    ),
  ).toEqual(model.customers);
  expect([...folded.deletedInvoices].sort()).toEqual(
    Object.entries(model.invoices)
      .filter(([, invoice]) => invoice.deleted !== null)
      .map(([id]) => Number(id))
      .sort(),
  );
  expect(folded.deadLetters).toEqual(model.deadLetters.map((letter) => letter.streamId));
  expect(folded.parked).toEqual(model.parked.map((parked) => parked.streamId));
}

/** Applies `entries` in one batch, then checks the fold agrees. */
function applyAll(state: Fresh, entries: RawEntry[], parkTimeoutMs?: number) {
  const result = state.projection.applyBatch(entries);
  expectFoldAgrees(state, entries, parkTimeoutMs);
  return result;
}

describe("InvoiceDeleted", () => {
  test("takes the recorded amount (not the payload's) off its customer and account and keeps a tombstone", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 40),
      invoiceDeleted("3-0", 10, 1, 99_999),
    ];

    const result = applyAll(state, entries);

    expect(result).toMatchObject({ applied: 4, deadLettered: 0, parked: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 40, 2: 0 },
      customers: { 1: { total: 40, deleted: null } },
      invoices: { 10: { customer: 1, deleted: deleted_date }, 11: { customer: 1, deleted: null } },
    });
  });

  test("a tombstoned invoice id is refused when created again, and refused when deleted again", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceDeleted("3-0", 10, 1, 500),
      invoiceCreated("4-0", 10, 1, 700),
      invoiceDeleted("5-0", 10, 1, 500),
    ];

    applyAll(state, entries);

    const model = readModelOf(state.database);
    expect(model.deadLetters).toEqual([
      { streamId: "4-0", reason: "invoice 10 was already counted" },
      { streamId: "5-0", reason: "invoice 10 was already deleted" },
    ]);
    expect(model.accounts[1]).toBe(0);
    expect(model.customers[1]?.total).toBe(0);
  });

  test("the same EventId delivered twice deletes once, within a batch and across batches", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 300),
      invoiceDeleted("3-0", 10, 1, 500, "delete-10"),
      invoiceDeleted("3-1", 10, 1, 500, "delete-10"),
    ];
    const first = state.projection.applyBatch(entries);
    const second = state.projection.applyBatch([invoiceDeleted("4-0", 10, 1, 500, "delete-10")]);

    expect(first).toMatchObject({ applied: 4, duplicates: 1, deadLettered: 0 });
    expect(second).toMatchObject({ applied: 0, duplicates: 1, deadLettered: 0 });
    expect(readModelOf(state.database)).toMatchObject({ accounts: { 1: 300 }, deadLetters: [] });
  });

  test("naming another customer than the invoice's is dead-lettered and changes no total", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceDeleted("3-0", 10, 2, 500),
    ];

    applyAll(state, entries);

    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 500 },
      customers: { 1: { total: 500 }, 2: { total: 0 } },
      invoices: { 10: { deleted: null } },
      deadLetters: [{ streamId: "3-0", reason: "invoice 10 belongs to customer 1, not 2" }],
    });
  });

  test("arriving before its invoice, is parked awaiting invoice:<id> and applied when the invoice comes in a later batch", () => {
    const state = fresh();
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceDeleted("2-0", 10, 1, 500)]);
    expect(readModelOf(state.database)).toMatchObject({
      parked: [{ streamId: "2-0", awaiting: "invoice:10" }],
      accounts: { 1: 0 },
    });

    const result = state.projection.applyBatch([
      invoiceCreated("3-0", 10, 1, 500),
      invoiceCreated("3-1", 11, 1, 8),
    ]);

    expect(result).toMatchObject({ applied: 3, parked: 0, deadLettered: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 8 },
      invoices: { 10: { deleted: deleted_date }, 11: { deleted: null } },
    });
    expectFoldAgrees(state, [
      customerCreated("1-0", 1, 1),
      invoiceDeleted("2-0", 10, 1, 500),
      invoiceCreated("3-0", 10, 1, 500),
      invoiceCreated("3-1", 11, 1, 8),
    ]);
  });

  test("before its invoice, itself before its customer: the customer releases the invoice, the invoice the deletion", () => {
    const state = fresh();
    const entries = [
      invoiceDeleted("1-0", 10, 1, 500),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 60),
      customerCreated("3-0", 1, 1),
    ];

    const result = applyAll(state, entries);

    expect(result).toMatchObject({ applied: 4, parked: 3, deadLettered: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 60 },
      invoices: { 10: { deleted: deleted_date }, 11: { deleted: null } },
    });
  });

  test("whose invoice never comes is dead-lettered after the park timeout of stream time", () => {
    const state = fresh(1000);
    const entries = [customerCreated("1000-0", 1, 1), invoiceDeleted("1000-1", 10, 1, 500)];
    state.projection.applyBatch(entries);
    const later = [...entries, invoiceCreated("2001-0", 10, 1, 500)];

    state.projection.applyBatch(later.slice(2));

    expectFoldAgrees(state, later, 1000);
    const model = readModelOf(state.database);
    expect(model.parked).toEqual([]);
    expect(model.deadLetters).toEqual([
      {
        streamId: "1000-1",
        reason: "deletion of invoice 10, not seen yet; gave up after waiting 1000 ms of stream time",
      },
    ]);
    expect(model.accounts[1]).toBe(500);
  });
});

describe("CustomerDeleted", () => {
  test("takes the customer's whole total off its account and tombstones it and its invoices", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 40),
      invoiceCreated("2-2", 12, 2, 7),
      invoiceDeleted("3-0", 11, 1, 40),
      customerDeleted("4-0", 1, 1),
    ];

    const result = applyAll(state, entries);

    expect(result).toMatchObject({ applied: 7, deadLettered: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 7 },
      customers: { 1: { total: 0, deleted: deleted_date }, 2: { total: 7, deleted: null } },
      invoices: {
        10: { deleted: deleted_date },
        11: { deleted: deleted_date },
        12: { deleted: null },
      },
    });
    // What GET /accounts reads: the deleted customer is gone.
    const shown = createAccountsStore(state.database.db).customersOf([1]);
    expect(shown.map((customer) => customer.id)).toEqual([2]);
  });

  test("afterwards, its invoices, its id, a rename, a second deletion and its invoices' deletions are all refused", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerDeleted("3-0", 1, 1),
      invoiceCreated("4-0", 11, 1, 300),
      customerCreated("4-1", 1, 1),
      customerUpdated("4-2", 1, 1, "Back again"),
      customerDeleted("4-3", 1, 1),
      invoiceDeleted("4-4", 10, 1, 500),
    ];

    applyAll(state, entries);

    const model = readModelOf(state.database);
    expect(model.deadLetters).toEqual([
      { streamId: "4-0", reason: "customer 1 was deleted" },
      { streamId: "4-1", reason: "customer 1 already exists" },
      { streamId: "4-2", reason: "customer 1 was deleted" },
      { streamId: "4-3", reason: "customer 1 was deleted" },
      { streamId: "4-4", reason: "invoice 10 was already deleted" },
    ]);
    expect(model.accounts[1]).toBe(0);
    expect(model.invoices[11]).toBeUndefined();
  });

  test("naming another account than the customer's is dead-lettered and changes nothing", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerDeleted("3-0", 1, 2),
    ];

    applyAll(state, entries);

    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 500, 2: 0 },
      customers: { 1: { total: 500, deleted: null } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 belongs to account 1, not 2" }],
    });
  });

  test("arriving before its customer, is parked awaiting customer:<id> and released with the invoices in stream order", () => {
    const state = fresh();
    // The invoice parked before the deletion is counted then deleted; the one parked after is refused.
    const entries = [
      invoiceCreated("1-0", 10, 1, 500),
      customerDeleted("2-0", 1, 1),
      invoiceCreated("3-0", 11, 1, 40),
      customerCreated("4-0", 1, 1),
    ];

    state.projection.applyBatch(entries.slice(0, 3));
    expect(readModelOf(state.database).parked).toEqual([
      { streamId: "1-0", awaiting: "customer:1" },
      { streamId: "2-0", awaiting: "customer:1" },
      { streamId: "3-0", awaiting: "customer:1" },
    ]);
    state.projection.applyBatch(entries.slice(3));

    expectFoldAgrees(state, entries);
    expect(readModelOf(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 0 },
      customers: { 1: { deleted: deleted_date, total: 0 } },
      invoices: { 10: { deleted: deleted_date } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 was deleted" }],
    });
  });

  test("that fails half way (SQLite refuses a write) leaves nothing behind, and applies in full when retried", () => {
    const state = fresh();
    const setup = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 5),
    ];
    state.projection.applyBatch(setup);
    const before = readModelOf(state.database);
    const operator = new Database(state.database.path);
    cleanups.push(() => operator.close());
    // The invoices are tombstoned first; then the customer's own update fails.
    operator.exec(
      "CREATE TRIGGER refuse_customer_delete BEFORE UPDATE OF deleted_date ON customers BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const batch = [
      invoiceDeleted("3-0", 11, 1, 5),
      customerDeleted("4-0", 1, 1),
      invoiceDeleted("5-0", 12, 1, 1),
    ];

    expect(() => state.projection.applyBatch(batch)).toThrow("disk trouble");

    expect(state.projection.position()).toBe("2-1");
    expect(readModelOf(state.database)).toEqual(before);

    operator.exec("DROP TRIGGER refuse_customer_delete");
    expect(state.projection.applyBatch(batch)).toMatchObject({ applied: 2, parked: 1, deadLettered: 0 });
    expectFoldAgrees(state, [...setup, ...batch]);
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 0 },
      invoices: { 10: { deleted: deleted_date }, 11: { deleted: deleted_date } },
      parked: [{ streamId: "5-0", awaiting: "invoice:12" }],
    });
  });
});

describe("CustomerUpdated", () => {
  test("renames the customer and keeps its totals", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerUpdated("3-0", 1, 1, "Abigail"),
    ];

    applyAll(state, entries);

    expect(readModelOf(state.database).customers).toEqual({
      1: { name: "Abigail", total: 500, deleted: null },
    });
  });

  test("arriving before its customer, is parked and applied when it comes; naming another account is refused", () => {
    const state = fresh();
    const entries = [
      customerUpdated("1-0", 1, 1, "Renamed"),
      customerCreated("2-0", 1, 1),
      customerUpdated("3-0", 1, 2, "Moved"),
    ];

    state.projection.applyBatch(entries.slice(0, 1));
    expect(readModelOf(state.database).parked).toEqual([{ streamId: "1-0", awaiting: "customer:1" }]);
    state.projection.applyBatch(entries.slice(1));

    expectFoldAgrees(state, entries);
    expect(readModelOf(state.database)).toMatchObject({
      customers: { 1: { name: "Renamed" } },
      parked: [],
      deadLetters: [{ streamId: "3-0", reason: "customer 1 belongs to account 1, not 2" }],
    });
  });
});

describe("AccountDeleted on the stream", () => {
  test("is passed by the projection: it moves the checkpoint, applies nothing and dead-letters nothing", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      accountDeleted("2-0", 1),
      invoiceCreated("3-0", 10, 1, 500),
      // Malformed, but not ours to judge.
      entry("4-0", "AccountDeleted", { id: "x" }),
    ];

    const result = applyAll(state, entries);

    expect(result).toMatchObject({ position: "4-0", applied: 2, deadLettered: 0, parked: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 500 },
      deadLetters: [],
      processed: 2,
    });
  });
});

describe("totals added up in memory during a batch", () => {
  test("a read model changed by another connection (a rebuild swapping in) is read afresh, not from memory", () => {
    const state = fresh();
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceCreated("2-0", 10, 1, 500)]);
    const operator = new Database(state.database.path);
    cleanups.push(() => operator.close());
    operator.exec(
      `UPDATE customers SET deleted_date = '${deleted_date}', total_revenue_cents = 0 WHERE id = 1;
       UPDATE accounts SET total_revenue_cents = 0 WHERE id = 1;`,
    );

    const result = state.projection.applyBatch([invoiceCreated("3-0", 11, 1, 700)]);

    expect(result).toMatchObject({ applied: 0, deadLettered: 1 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 0 },
      customers: { 1: { total: 0, deleted: deleted_date } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 was deleted" }],
    });
  });

  test("an attempt that failed half way leaves nothing in memory: totals it added are not counted again", () => {
    const state = fresh();
    const operator = new Database(state.database.path);
    cleanups.push(() => operator.close());
    // Fails while a user named "fail" exists, switched on the projection's own connection, so that
    // SQLite's data_version (which tells of other connections' writes) does not change between attempts.
    operator.exec(
      `CREATE TRIGGER refuse_invoice BEFORE INSERT ON invoices
         WHEN NEW.id = 12 AND (SELECT count(*) FROM users WHERE username = 'fail') > 0
         BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceCreated("1-1", 10, 1, 500)]);
    const failing = (on: boolean) =>
      state.database.db.run(
        on
          ? sql`INSERT INTO users VALUES ('fail', 'x', ${created_date})`
          : sql`DELETE FROM users WHERE username = 'fail'`,
      );
    const batch = [
      invoiceCreated("3-0", 11, 1, 300),
      invoiceCreated("3-1", 12, 1, 20),
      customerDeleted("4-0", 1, 1),
    ];

    failing(true);
    expect(() => state.projection.applyBatch(batch)).toThrow("disk trouble");
    failing(false);

    expect(state.projection.applyBatch(batch)).toMatchObject({ applied: 3, deadLettered: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 0 },
      customers: { 1: { total: 0, deleted: deleted_date } },
      deadLetters: [],
    });
  });

  test("a batch touching more customers than one bulk statement holds writes every customer's and account's total", () => {
    const state = fresh();
    const customerIds = Array.from({ length: 250 }, (_, index) => index + 1);
    const created = customerIds.map((id) => customerCreated(`1-${id}`, id, 1 + (id % 2)));
    state.projection.applyBatch(created);
    // Two invoices per customer in one batch, in an order unlike the customers', with amounts of their own.
    const invoicing = customerIds.flatMap((id) => [
      invoiceCreated(`2-${id}`, 1000 + id, customerIds.length + 1 - id, id * 7),
      invoiceCreated(`3-${id}`, 2000 + id, id, 1 + (id % 13)),
    ]);

    expect(state.projection.applyBatch(invoicing)).toMatchObject({ applied: 500, deadLettered: 0 });
    expectFoldAgrees(state, [...created, ...invoicing]);
    const model = readModelOf(state.database);
    expect(model.customers[1]).toMatchObject({ total: 250 * 7 + 2 });
    expect(model.customers[250]).toMatchObject({ total: 7 + 1 + (250 % 13) });
  });

  test("a customer deleted after invoices in the same batch takes them all off its account", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 2, 40),
      invoiceCreated("2-2", 12, 1, 7),
      customerDeleted("3-0", 1, 1),
      invoiceCreated("4-0", 13, 2, 3),
    ];

    expect(applyAll(state, entries)).toMatchObject({ applied: 7, deadLettered: 0, parked: 0 });
    expect(readModelOf(state.database)).toMatchObject({
      accounts: { 1: 43 },
      customers: { 1: { total: 0, deleted: deleted_date }, 2: { total: 43, deleted: null } },
    });
  });
});
