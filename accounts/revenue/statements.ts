import { and, eq, isNull, sql } from "drizzle-orm";
import { bulkAdder, bulkInserter } from "../../shared/sqlite/bulk-writes";
import type { Db } from "../../shared/sqlite/db";
import { accounts, customers, invoices } from "../tables";

export type RevenueStatements = ReturnType<typeof prepareRevenueStatements>;

/**
 * The revenue read model's reads and writes, prepared once on `db`: they run inside the projection's
 * batch transaction because they use the same connection.
 */
export function prepareRevenueStatements(db: Db) {
  const id = sql.placeholder("id");
  const amount = sql.placeholder("amount");
  // An update's SET takes a placeholder only wrapped in sql``.
  const deletedDate = sql`${sql.placeholder("deletedDate")}`;
  const accountId = sql.placeholder("accountId");
  const customerId = sql.placeholder("customerId");
  return {
    accountExists: db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)).prepare(),
    findCustomer: db.select().from(customers).where(eq(customers.id, id)).prepare(),
    findInvoice: db.select().from(invoices).where(eq(invoices.id, id)).prepare(),
    addCustomer: db
      .insert(customers)
      .values({ id, accountId, name: sql.placeholder("name") })
      .prepare(),
    addInvoice: db
      .insert(invoices)
      .values({ id, customerId, purchasePriceCents: amount, purchaseDate: sql.placeholder("purchaseDate") })
      .onConflictDoNothing()
      .prepare(),
    markInvoiceDeleted: db.update(invoices).set({ deletedDate }).where(eq(invoices.id, id)).prepare(),
    addToCustomer: db
      .update(customers)
      .set({ totalRevenueCents: sql`${customers.totalRevenueCents} + ${amount}` })
      .where(eq(customers.id, id))
      .prepare(),
    addToAccount: db
      .update(accounts)
      .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + ${amount}` })
      .where(eq(accounts.id, id))
      .prepare(),
    renameCustomer: db
      .update(customers)
      .set({ name: sql`${sql.placeholder("name")}` })
      .where(eq(customers.id, id))
      .prepare(),
    markLiveInvoicesDeleted: db
      .update(invoices)
      .set({ deletedDate })
      .where(and(eq(invoices.customerId, customerId), isNull(invoices.deletedDate)))
      .prepare(),
    markCustomerDeleted: db
      .update(customers)
      .set({ deletedDate, totalRevenueCents: 0 })
      .where(eq(customers.id, id))
      .prepare(),
    // Multi-row forms, undefined when the connection is not exposed (see shared/sqlite/bulk-writes.ts).
    insertInvoices: bulkInserter(db, invoices, [
      invoices.id,
      invoices.customerId,
      invoices.purchasePriceCents,
      invoices.purchaseDate,
      invoices.deletedDate,
    ]),
    addToCustomers: bulkAdder(db, customers, customers.id, customers.totalRevenueCents),
    addToAccounts: bulkAdder(db, accounts, accounts.id, accounts.totalRevenueCents),
  };
}
