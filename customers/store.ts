import { and, asc, eq, gt, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { EventEnvelope } from "../shared/events/wire";
import type { IdempotencyKey, StoredReply } from "../shared/http/idempotency";
import { createOutboxAppend, eventEntry } from "../shared/outbox/table";
import type { Db } from "../shared/sqlite/db";
import { createGroupCommit } from "./group-commit";
import { type Customer, customers, type Invoice, invoices, type KnownAccount, knownAccounts } from "./tables";

export type CustomersStore = ReturnType<typeof createCustomersStore>;

/** Queries of the customers database. */
export function createCustomersStore(db: Db) {
  const groupCommit = createGroupCommit(db);
  const appendToOutbox = createOutboxAppend(db);
  // The write path's statements, prepared once (see README, Performance); they run in the open transaction.
  const id = sql.placeholder("id");
  const statements = {
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
  return {
    findAccount(id: number): KnownAccount | undefined {
      return statements.findAccount.get({ id });
    },

    findCustomer(id: number): Customer | undefined {
      return statements.findCustomer.get({ id });
    },

    /** Inserts an invoice; call it inside commit's write. */
    insertInvoice(values: Omit<Invoice, "id">): Invoice {
      const invoice = statements.insertInvoice.get(values);
      if (!invoice) throw new Error("the invoice insert returned no row");
      return invoice;
    },

    /** Queues an event in the outbox; call it inside commit's write. */
    appendEvent: (envelope: EventEnvelope) => appendToOutbox(eventEntry(envelope)),

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

    /** A page of an account's customers by id: up to `limit` after the id `after`. */
    customersPage(accountId: number, after: number, limit: number): Customer[] {
      return db
        .select()
        .from(customers)
        .where(and(eq(customers.accountId, accountId), gt(customers.id, after)))
        .orderBy(asc(customers.id))
        .limit(limit)
        .all();
    },

    /** A page of a customer's invoices by id: up to `limit` after the id `after`. */
    invoicesPage(customerId: number, after: number, limit: number): Invoice[] {
      return db
        .select()
        .from(invoices)
        .where(and(eq(invoices.customerId, customerId), gt(invoices.id, after)))
        .orderBy(asc(invoices.id))
        .limit(limit)
        .all();
    },

    /**
     * Runs a write, its events and its idempotency record atomically (see commitOnce); resolves once
     * committed, in a transaction shared with the other writes of the same event-loop turn (group commit).
     */
    commit(key: IdempotencyKey | null, now: Date, write: (tx: Db) => StoredReply) {
      return groupCommit(key, now, write);
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

export function deleteInvoice(tx: Db, id: number): void {
  tx.delete(invoices).where(eq(invoices.id, id)).run();
}

/** Removes a customer and its invoices (ids are never handed out again: AUTOINCREMENT). */
export function deleteCustomer(tx: Db, id: number): void {
  tx.delete(invoices).where(eq(invoices.customerId, id)).run();
  tx.delete(customers).where(eq(customers.id, id)).run();
}

export function renameCustomer(tx: Db, id: number, name: string): Customer {
  const renamed = tx.update(customers).set({ name }).where(eq(customers.id, id)).returning().get();
  if (!renamed) throw new Error(`customer ${id} vanished inside its own transaction`);
  return renamed;
}

/** Marks an account deleted, from its AccountDeleted event. */
export function forgetAccount(tx: Db, id: number, deletedDate: string): void {
  tx.update(knownAccounts).set({ deletedDate }).where(eq(knownAccounts.id, id)).run();
}
