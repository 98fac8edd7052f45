import { and, asc, eq, gt, type InferSelectModel, sql } from "drizzle-orm";
import { integer, type SQLiteColumn, type SQLiteTable, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { EventEnvelope } from "../shared/events/wire";
import type { Commit } from "../shared/http/write-route";
import { createOutboxAppend, eventEntry } from "../shared/outbox/table";
import type { Db } from "../shared/sqlite/db";
import { createGroupCommit } from "./group-commit";
import { type Customer, customers, type Invoice, invoices, type KnownAccount, knownAccounts } from "./tables";

export type CustomersStore = ReturnType<typeof createCustomersStore>;

/**
 * Queries of the customers database. Everything runs on the service's one SQLite connection, so the
 * writes (and the reads a write checks with), called inside commit's write, are part of its transaction.
 */
export function createCustomersStore(db: Db) {
  const commit: Commit = createGroupCommit(db);
  const appendToOutbox = createOutboxAppend(db);
  const statements = prepareWritePath(db);
  return {
    ...readsOf(db),
    findAccount: (id: number): KnownAccount | undefined => statements.findAccount.get({ id }),
    findCustomer: (id: number): Customer | undefined => statements.findCustomer.get({ id }),
    ...writesOf(db),

    insertInvoice(values: Omit<Invoice, "id">): Invoice {
      const invoice = statements.insertInvoice.get(values);
      if (!invoice) throw new Error("the invoice insert returned no row");
      return invoice;
    },

    /** Queues an event in the outbox. */
    appendEvent: (envelope: EventEnvelope) => appendToOutbox(eventEntry(envelope)),

    /**
     * Runs a write, its events and its idempotency record atomically (see commitOnce); resolves once
     * committed, in a transaction shared with the other writes of the same event-loop turn (group commit).
     */
    commit,
  };
}

// POST /invoices' statements, prepared once (see README, Performance).
function prepareWritePath(db: Db) {
  const id = sql.placeholder("id");
  return {
    findAccount: db.select().from(knownAccounts).where(eq(knownAccounts.id, id)).prepare(),
    findCustomer: db.select().from(customers).where(eq(customers.id, id)).prepare(),
    insertInvoice: db
      .insert(invoices)
      .values({
        customerId: sql.placeholder("customerId"),
        purchaseDate: sql.placeholder("purchaseDate"),
        purchasePriceCents: sql.placeholder("purchasePriceCents"),
        currency: sql.placeholder("currency"),
        createdDate: sql.placeholder("createdDate"),
      })
      .returning()
      .prepare(),
  };
}

function readsOf(db: Db) {
  return {
    invoicesOf(customerId: number): Invoice[] {
      return db
        .select()
        .from(invoices)
        .where(eq(invoices.customerId, customerId))
        .orderBy(asc(invoices.id))
        .all();
    },

    findInvoice(id: number): Invoice | undefined {
      return db.select().from(invoices).where(eq(invoices.id, id)).get();
    },

    /** A page of an account's customers by id: up to `count` after the id `after`. */
    customersPage: (accountId: number, after: number, count: number): Customer[] =>
      idPage(db, customers, customers.accountId, accountId, after, count),

    /** A page of a customer's invoices by id: up to `count` after the id `after`. */
    invoicesPage: (customerId: number, after: number, count: number): Invoice[] =>
      idPage(db, invoices, invoices.customerId, customerId, after, count),
  };
}

/** Up to `count` rows of `table` whose `owner` column holds `ownerId`, with ids above `after`, by id. */
function idPage<T extends SQLiteTable & { id: SQLiteColumn }>(
  db: Db,
  table: T,
  owner: SQLiteColumn,
  ownerId: number,
  after: number,
  count: number,
): InferSelectModel<T>[] {
  return db
    .select()
    .from(table)
    .where(and(eq(owner, ownerId), gt(table.id, after)))
    .orderBy(asc(table.id))
    .limit(count)
    .all();
}

function writesOf(db: Db) {
  return {
    insertCustomer: (values: Omit<Customer, "id">): Customer => insertCustomer(db, values),

    renameCustomer(id: number, name: string): Customer {
      const renamed = db.update(customers).set({ name }).where(eq(customers.id, id)).returning().get();
      if (!renamed) throw new Error(`customer ${id} vanished inside its own transaction`);
      return renamed;
    },

    /** Removes a customer and its invoices (ids are never handed out again: AUTOINCREMENT). */
    deleteCustomer(id: number): void {
      db.delete(invoices).where(eq(invoices.customerId, id)).run();
      db.delete(customers).where(eq(customers.id, id)).run();
    },

    deleteInvoice(id: number): void {
      db.delete(invoices).where(eq(invoices.id, id)).run();
    },
  };
}

/** Records an account from its AccountCreated event; false when the id is already known under another owner. */
export function rememberAccount(tx: Db, account: Omit<KnownAccount, "deletedDate">): boolean {
  const existing = tx.select().from(knownAccounts).where(eq(knownAccounts.id, account.id)).get();
  if (existing) return existing.ownedBy === account.ownedBy;
  tx.insert(knownAccounts).values(account).run();
  return true;
}

// SQLite's own table of AUTOINCREMENT counters; not in tables.ts, so drizzle-kit leaves it alone.
const sqliteSequence = sqliteTable("sqlite_sequence", { name: text("name"), seq: integer("seq") });

/**
 * reserveIdsThrough that first asks, with a statement prepared once, whether the counter is already past
 * `id`: true of every id this service handed out itself, which it reads back from the stream.
 */
export function createIdReservation(db: Db) {
  const counter = db
    .select({ seq: sqliteSequence.seq })
    .from(sqliteSequence)
    .where(eq(sqliteSequence.name, sql.placeholder("name")))
    .prepare();
  return (tx: Db, table: "customers" | "invoices", id: number): void => {
    const seq = counter.get({ name: table })?.seq;
    if (seq !== undefined && seq !== null && seq >= id) return;
    reserveIdsThrough(tx, table, id);
  };
}

/**
 * Makes the next id of `table` greater than `id`: ids written to the stream by another producer (the
 * legacy service) are never handed out again here.
 */
export function reserveIdsThrough(tx: Db, table: "customers" | "invoices", id: number): void {
  tx.run(sql`INSERT INTO sqlite_sequence (name, seq) SELECT ${table}, 0
    WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ${table})`);
  tx.run(sql`UPDATE sqlite_sequence SET seq = ${id} WHERE name = ${table} AND seq < ${id}`);
}

export function insertCustomer(tx: Db, values: Omit<Customer, "id">): Customer {
  return tx.insert(customers).values(values).returning().get();
}

/** Marks an account deleted, from its AccountDeleted event. */
export function forgetAccount(tx: Db, id: number, deletedDate: string): void {
  tx.update(knownAccounts).set({ deletedDate }).where(eq(knownAccounts.id, id)).run();
}
