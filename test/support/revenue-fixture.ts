import { Database } from "bun:sqlite";
import { afterEach, expect } from "bun:test";
import { join } from "node:path";
import { asc, eq } from "drizzle-orm";
import { accountCreated } from "../../accounts/domain";
import { ACCOUNTS_PROJECTION, createRevenueProjection } from "../../accounts/revenue/handler";
import { createAccountsStore } from "../../accounts/store";
import { accounts, customers, invoices } from "../../accounts/tables";
import { envelopeOf, type RawEntry } from "../../shared/events/wire";
import { outbox } from "../../shared/outbox/table";
import type { Projection } from "../../shared/projection/projection";
import { deadLetters, parkedEntries, processedEvents } from "../../shared/projection/tables";
import { openDatabase, type SqliteDatabase } from "../../shared/sqlite/db";
import { customerEntry, ENTRY_TIME, entry, invoiceEntry } from "./entries";
import { tempDir } from "./resources";
import { foldRevenue } from "./revenue-fold";

const MIGRATIONS = join(import.meta.dir, "..", "..", "migrations", "accounts");
/** The clock of every fixture: the time its accounts were created, and its entries' created_date. */
export const FIXTURE_TIME = new Date(ENTRY_TIME);
/** The deleted_date of the deletions built here: another day than the entries' creation. */
export const DELETED_DATE = "2026-12-01T09:30:00.000Z";

export type RevenueFixture = {
  database: SqliteDatabase;
  projection: Projection;
  accountIds: number[];
  /** Closes the database and removes its directory. */
  remove(): void;
};

/**
 * A fresh accounts database in a directory of its own, where user1..userN own accounts 1..N (two by
 * default), and the revenue projection over it.
 */
export function freshRevenueFixture(
  options: { accounts?: number; parkTimeoutMs?: number } = {},
): RevenueFixture {
  const { accounts: count = 2, parkTimeoutMs } = options;
  const dir = tempDir("streamledger-revenue-");
  const database = openDatabase(join(dir.path, "accounts.sqlite"), MIGRATIONS);
  const createdAt = ENTRY_TIME;
  createAccountsStore(database.db).addUsersWithAccounts(
    Array.from({ length: count }, (_, index) => ({
      user: { username: `user${index + 1}`, passwordHash: "x", createdAt },
      account: {
        name: `account ${index + 1}`,
        description: "",
        ownedBy: `user${index + 1}`,
        createdDate: createdAt,
      },
    })),
    (account) => envelopeOf(accountCreated(account), crypto.randomUUID(), FIXTURE_TIME),
  );
  const projection = createRevenueProjection({
    db: database.db,
    now: () => FIXTURE_TIME,
    newId: () => crypto.randomUUID(),
    parkTimeoutMs,
  });
  const accountIds = database.db.select({ id: accounts.id }).from(accounts).all();
  return {
    database,
    projection,
    accountIds: accountIds.map((row) => row.id),
    remove() {
      database.close();
      dir.remove();
    },
  };
}

/**
 * For a test file: `fresh` makes a fixture that is removed after each test, and `operatorOn` opens a second
 * connection on its file, as an operator would have, closed after the test first.
 */
export function useRevenueFixtures() {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });
  return {
    fresh(options: { accounts?: number; parkTimeoutMs?: number } = {}): RevenueFixture {
      const fixture = freshRevenueFixture(options);
      cleanups.push(fixture.remove);
      return fixture;
    },
    operatorOn(fixture: RevenueFixture): Database {
      const operator = new Database(fixture.database.path);
      cleanups.push(() => operator.close());
      return operator;
    },
  };
}

/** A stream ID, an invoice id, its customer's id, its amount in cents, and maybe an EventId. */
type InvoiceArguments = Parameters<typeof invoiceEntry>;

let eventCounter = 0;
/** Entries that carry an EventId of their own unless given one (as every entry we publish does). */
const identified = (eventId?: string) => eventId ?? `event-${++eventCounter}`;

export const customerCreated = (streamId: string, id: number, accountId: number, eventId?: string) =>
  customerEntry(streamId, id, accountId, identified(eventId));
export const invoiceCreated = (...[streamId, id, customerId, cents, eventId]: InvoiceArguments) =>
  invoiceEntry(streamId, id, customerId, cents, identified(eventId));
export const customerUpdated = (streamId: string, id: number, accountId: number, name: string) =>
  entry(
    streamId,
    "CustomerUpdated",
    { id: String(id), account_id: String(accountId), name, updated_date: DELETED_DATE },
    identified(),
  );
export const customerDeleted = (streamId: string, id: number, accountId: number, eventId?: string) =>
  entry(
    streamId,
    "CustomerDeleted",
    { id: String(id), account_id: String(accountId), deleted_date: DELETED_DATE },
    identified(eventId),
  );
/** Takes off the amount it names (which the projection ignores: it takes off what it counted). */
export const invoiceDeleted = (...[streamId, id, customerId, cents, eventId]: InvoiceArguments) =>
  entry(
    streamId,
    "InvoiceDeleted",
    {
      id: String(id),
      customer_id: String(customerId),
      purchase_price_cents: cents,
      deleted_date: DELETED_DATE,
    },
    identified(eventId),
  );
export const accountDeleted = (streamId: string, id: number) =>
  entry(
    streamId,
    "AccountDeleted",
    { id: String(id), owned_by: "user1", deleted_date: DELETED_DATE },
    identified(),
  );
/** An entry of any type and payload, well-formed or not, with an EventId of its own. */
export const identifiedEntry = (streamId: string, type: string, payload: unknown) =>
  entry(streamId, type, payload, identified());

/** The revenue read model row by row: names, totals and tombstones; the accounts projection's dead letters and parked entries. */
export function revenueReadModel({ db }: SqliteDatabase) {
  const rows = <T extends { id: number }, V>(all: T[], value: (row: T) => V) =>
    Object.fromEntries(all.map((row) => [row.id, value(row)]));
  return {
    accounts: rows(
      db.select().from(accounts).orderBy(asc(accounts.id)).all(),
      (row) => row.totalRevenueCents,
    ),
    customers: rows(db.select().from(customers).orderBy(asc(customers.id)).all(), (row) => ({
      name: row.name,
      total: row.totalRevenueCents,
      deleted: row.deletedDate,
    })),
    invoices: rows(db.select().from(invoices).orderBy(asc(invoices.id)).all(), (row) => ({
      customer: row.customerId,
      deleted: row.deletedDate,
    })),
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
export function expectFoldAgrees(fixture: RevenueFixture, entries: RawEntry[], parkTimeoutMs?: number): void {
  const folded = foldRevenue(fixture.accountIds, entries, { parkTimeoutMs });
  const model = revenueReadModel(fixture.database);
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
export function applyAndFold(fixture: RevenueFixture, entries: RawEntry[], parkTimeoutMs?: number) {
  const result = fixture.projection.applyBatch(entries);
  expectFoldAgrees(fixture, entries, parkTimeoutMs);
  return result;
}

/** A batch result whose counts are all 0 (its lists any), for a test to spread the counts it expects over. */
export const ZERO_COUNTS = {
  applied: 0,
  appliedByType: expect.any(Object),
  appliedEventIds: expect.any(Array),
  deadLetters: expect.any(Array),
  duplicates: 0,
  deadLettered: 0,
  parked: 0,
};

/**
 * What the projection left, in totals and counts: totals per account and customer, how many invoices and
 * processed EventIds, every consumer's dead letters and parked entries as rows, and the dead letters queued
 * for the dead-letter stream, one field map each.
 */
export function projectionState({ db }: SqliteDatabase) {
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
    deadLetterStream: dlq.map((row) => Object.fromEntries(pairs(row.fields))),
  };
}

function pairs(flat: string[]): [string, string][] {
  const result: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) result.push([flat[i] as string, flat[i + 1] as string]);
  return result;
}
