import { and, eq, isNull, sql } from "drizzle-orm";
import { bulkAdder, bulkInserter } from "../../shared/sqlite/bulk-writes";
import { changesOf, type Db } from "../../shared/sqlite/db";
import { accounts, type Customer, customers, type Invoice, invoices } from "../tables";

export type ReadModel = ReturnType<typeof createReadModel>;

/** Customer rows kept in memory between batches at most; past it the cache starts over. */
const MAX_CACHED_CUSTOMERS = 20_000;

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

  const insertInvoices = bulkInserter(db, invoices, [
    invoices.id,
    invoices.customerId,
    invoices.purchasePriceCents,
    invoices.purchaseDate,
    invoices.deletedDate,
  ]);
  const addToCustomers = bulkAdder(db, customers, customers.id, customers.totalRevenueCents);
  const addToAccounts = bulkAdder(db, accounts, accounts.id, accounts.totalRevenueCents);

  // Write-behind state, used only in a batch that may defer its writes (see `begin`).
  let deferring = false;
  // Invoices added in the batch, inserted together by `flush` (when the connection allows multi-row inserts).
  const pendingInvoices = new Map<number, Invoice>();
  const cachedCustomers = new Map<number, Customer>();
  const customerDeltas = new Map<number, number>();
  const accountDeltas = new Map<number, number>();
  let seenDataVersion: string | undefined;
  const addTo = (deltas: Map<number, number>, key: number, amount: number) =>
    deltas.set(key, (deltas.get(key) ?? 0) + amount);

  return {
    /**
     * Starts a batch's attempt. With `deferWrites`, revenue totals are added up in memory and written by
     * `flush` once per customer and account, new invoices are inserted by `flush` together, and customer
     * rows are served from a cache kept across batches; the caller promises that the attempt either
     * completes or is rolled back as a whole (then `discard`). Without it, every change is written at
     * once, as a savepoint per entry needs.
     */
    begin(deferWrites: boolean): void {
      customerDeltas.clear();
      accountDeltas.clear();
      pendingInvoices.clear();
      deferring = deferWrites;
      // Another connection's commit (a rebuild swapping the read model in, say) makes the cache stale.
      const dataVersion = JSON.stringify(db.all(sql`PRAGMA data_version`));
      const changedElsewhere = dataVersion !== seenDataVersion;
      seenDataVersion = dataVersion;
      if (!deferWrites || changedElsewhere || cachedCustomers.size > MAX_CACHED_CUSTOMERS) {
        cachedCustomers.clear();
      }
    },

    /**
     * Writes what was deferred since `begin`, inside the batch's transaction. False when an invoice id was
     * taken already: the attempt must be rolled back and applied again without deferring, where that
     * invoice is refused on its own.
     */
    flush(): boolean {
      if (pendingInvoices.size > 0 && insertInvoices) {
        const rows = Array.from(pendingInvoices.values(), (invoice) => [
          invoice.id,
          invoice.customerId,
          invoice.purchasePriceCents,
          invoice.purchaseDate,
          invoice.deletedDate,
        ]);
        if (insertInvoices(rows) !== rows.length) return false;
      }
      pendingInvoices.clear();
      addAll(customerDeltas, addToCustomers, statements.addToCustomer);
      addAll(accountDeltas, addToAccounts, statements.addToAccount);
      customerDeltas.clear();
      accountDeltas.clear();
      return true;
    },

    /** The attempt rolled back: what the cache learnt in it may not exist. */
    discard(): void {
      cachedCustomers.clear();
      pendingInvoices.clear();
      customerDeltas.clear();
      accountDeltas.clear();
      deferring = false;
    },

    accountExists(accountId: number): boolean {
      return statements.accountExists.get({ id: accountId }) !== undefined;
    },

    /** A customer as the batch sees it (totals added so far included); do not change the object. */
    findCustomer(customerId: number): Readonly<Customer> | undefined {
      if (!deferring) return statements.findCustomer.get({ id: customerId });
      const cached = cachedCustomers.get(customerId);
      if (cached) return cached;
      const found = statements.findCustomer.get({ id: customerId });
      if (!found) return undefined;
      found.totalRevenueCents += customerDeltas.get(customerId) ?? 0;
      cachedCustomers.set(customerId, found);
      return found;
    },

    /** An invoice, deleted or not (one added earlier in the batch included). */
    findInvoice(invoiceId: number): Readonly<Invoice> | undefined {
      return pendingInvoices.get(invoiceId) ?? statements.findInvoice.get({ id: invoiceId });
    },

    addCustomer(customer: { id: number; accountId: number; name: string }): void {
      statements.addCustomer.run(customer);
      if (deferring)
        cachedCustomers.set(customer.id, { ...customer, totalRevenueCents: 0, deletedDate: null });
    },

    /**
     * Records an invoice and adds its amount to its customer's and its account's totals; false, changing
     * nothing, when an invoice with its id exists (deleted or not). While deferring, an id recorded
     * before the batch is found only by `flush`.
     */
    addInvoice(
      invoice: { id: number; customerId: number; purchasePriceCents: number; purchaseDate: string },
      accountId: number,
    ): boolean {
      const amount = invoice.purchasePriceCents;
      if (deferring && insertInvoices) {
        if (pendingInvoices.has(invoice.id)) return false;
        pendingInvoices.set(invoice.id, { ...invoice, deletedDate: null });
      } else if (changesOf(statements.addInvoice.run({ ...invoice, amount })) === 0) {
        return false;
      }
      addToTotals(invoice.customerId, accountId, amount);
      return true;
    },

    renameCustomer(customerId: number, name: string): void {
      statements.renameCustomer.run({ id: customerId, name });
      const cached = cachedCustomers.get(customerId);
      if (cached) cached.name = name;
    },

    /** Marks an invoice deleted and takes its amount off its customer's and its account's totals. */
    deleteInvoice(invoice: Readonly<Invoice>, accountId: number, deletedDate: string): void {
      const pending = pendingInvoices.get(invoice.id);
      if (pending) pending.deletedDate = deletedDate;
      else statements.markInvoiceDeleted.run({ id: invoice.id, deletedDate });
      addToTotals(invoice.customerId, accountId, -invoice.purchasePriceCents);
    },

    /** Marks a customer and its live invoices deleted; its whole total leaves its account. */
    deleteCustomer(customer: Readonly<Customer>, deletedDate: string): void {
      statements.markLiveInvoicesDeleted.run({ customerId: customer.id, deletedDate });
      for (const pending of pendingInvoices.values()) {
        if (pending.customerId === customer.id && pending.deletedDate === null)
          pending.deletedDate = deletedDate;
      }
      // The row's total becomes 0 here, so what was added up for it in memory is dropped, not flushed.
      statements.markCustomerDeleted.run({ id: customer.id, deletedDate });
      customerDeltas.delete(customer.id);
      const total = customer.totalRevenueCents;
      const cached = cachedCustomers.get(customer.id);
      if (cached) Object.assign(cached, { deletedDate, totalRevenueCents: 0 });
      if (deferring) addTo(accountDeltas, customer.accountId, -total);
      else statements.addToAccount.run({ id: customer.accountId, amount: -total });
    },
  };

  // Each changed total in one statement per hundred when the connection allows it (an UPDATE per
  // customer was a seventh of applying a batch that touches a thousand customers), else one by one.
  function addAll(
    deltas: Map<number, number>,
    inBulk: ((rows: Iterable<readonly [number, number]>) => number) | undefined,
    oneByOne: { run(values: { id: number; amount: number }): unknown },
  ): void {
    const changes = [...deltas].filter(([, amount]) => amount !== 0);
    if (inBulk) inBulk(changes);
    else for (const [id, amount] of changes) oneByOne.run({ id, amount });
  }

  function addToTotals(customerId: number, accountId: number, amount: number): void {
    if (!deferring) {
      statements.addToCustomer.run({ id: customerId, amount });
      statements.addToAccount.run({ id: accountId, amount });
      return;
    }
    addTo(customerDeltas, customerId, amount);
    addTo(accountDeltas, accountId, amount);
    const cached = cachedCustomers.get(customerId);
    if (cached) cached.totalRevenueCents += amount;
  }
}
