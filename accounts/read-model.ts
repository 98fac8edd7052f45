import { and, eq, isNull, sql } from "drizzle-orm";
import { changesOf, type Db } from "../shared/db";
import { accounts, type Customer, customers, type Invoice, invoices } from "./store";

export type ReadModel = ReturnType<typeof createReadModel>;

/**
 * Read-model reads and writes for the consumer, prepared once on `db`; they run inside its batch
 * transaction because they use the same connection.
 */
export function createReadModel(db: Db) {
  const id = sql.placeholder("id");
  const amount = sql.placeholder("amount");
  // An update's SET takes a placeholder only wrapped in sql``.
  const deletedDate = sql`${sql.placeholder("deletedDate")}`;
  const accountId = sql.placeholder("accountId");
  const customerId = sql.placeholder("customerId");
  const statements = {
    accountExists: db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)).prepare(),
    findCustomer: db.select().from(customers).where(eq(customers.id, id)).prepare(),
    findInvoice: db.select().from(invoices).where(eq(invoices.id, id)).prepare(),
    addCustomer: db
      .insert(customers)
      .values({ id, accountId, name: sql.placeholder("name") })
      .prepare(),
    addInvoice: db
      .insert(invoices)
      .values({
        id,
        customerId,
        purchasePriceCents: amount,
        purchaseDate: sql.placeholder("purchaseDate"),
      })
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
  };

  return {
    accountExists(accountId: number): boolean {
      return statements.accountExists.get({ id: accountId }) !== undefined;
    },

    findCustomer(customerId: number): Customer | undefined {
      return statements.findCustomer.get({ id: customerId });
    },

    /** An invoice, deleted or not. */
    findInvoice(invoiceId: number): Invoice | undefined {
      return statements.findInvoice.get({ id: invoiceId });
    },

    addCustomer(customer: { id: number; accountId: number; name: string }): void {
      statements.addCustomer.run(customer);
    },

    /**
     * Records an invoice and adds its amount to its customer's and its account's totals; false, changing
     * nothing, when an invoice with its id exists (deleted or not).
     */
    addInvoice(
      invoice: { id: number; customerId: number; purchasePriceCents: number; purchaseDate: string },
      accountId: number,
    ): boolean {
      const amount = invoice.purchasePriceCents;
      if (changesOf(statements.addInvoice.run({ ...invoice, amount })) === 0) return false;
      statements.addToCustomer.run({ id: invoice.customerId, amount });
      statements.addToAccount.run({ id: accountId, amount });
      return true;
    },

    renameCustomer(customerId: number, name: string): void {
      statements.renameCustomer.run({ id: customerId, name });
    },

    /** Marks an invoice deleted and takes its amount off its customer's and its account's totals. */
    deleteInvoice(invoice: Invoice, accountId: number, deletedDate: string): void {
      statements.markInvoiceDeleted.run({ id: invoice.id, deletedDate });
      statements.addToCustomer.run({ id: invoice.customerId, amount: -invoice.purchasePriceCents });
      statements.addToAccount.run({ id: accountId, amount: -invoice.purchasePriceCents });
    },

    /** Marks a customer and its live invoices deleted; its whole total leaves its account. */
    deleteCustomer(customer: Customer, deletedDate: string): void {
      statements.markLiveInvoicesDeleted.run({ customerId: customer.id, deletedDate });
      statements.markCustomerDeleted.run({ id: customer.id, deletedDate });
      statements.addToAccount.run({ id: customer.accountId, amount: -customer.totalRevenueCents });
    },
  };
}
