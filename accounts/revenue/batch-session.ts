import type { BatchSession } from "../../shared/projection/handler";
import { changesOf, type Db } from "../../shared/sqlite/db";
import type { Customer, Invoice } from "../tables";
import { type CustomerCache, createCustomerCache } from "./customer-cache";
import { createDeferredWrites, type DeferredWrites } from "./deferred-writes";
import { prepareRevenueStatements, type RevenueStatements } from "./statements";

export type RevenueBatchSession = BatchSession & RevenueReads & RevenueWrites;

type SessionState = {
  statements: RevenueStatements;
  cache: CustomerCache;
  deferred: DeferredWrites;
  /** In an all-or-nothing attempt: totals, and new invoices when they can be inserted in bulk, wait for flush. */
  deferring: boolean;
};

/**
 * The revenue projection's batch session (see BatchSession) and the read model's reads and writes its
 * handler makes, prepared once on `db`. In an all-or-nothing attempt, revenue totals are added up in
 * memory and written by `flush` once per customer and account, new invoices are inserted by `flush`
 * together, and customer rows are served from a cache kept across batches. In a savepoint-per-entry
 * attempt every change is written at once.
 */
export function createRevenueBatchSession(db: Db): RevenueBatchSession {
  const statements = prepareRevenueStatements(db);
  const state: SessionState = {
    statements,
    cache: createCustomerCache(db),
    deferred: createDeferredWrites(statements),
    deferring: false,
  };
  return {
    begin(kind) {
      state.deferred.clear();
      state.deferring = kind === "all-or-nothing";
      state.cache.startAttempt(state.deferring);
    },
    flush: () => state.deferred.flush(),
    discard() {
      state.cache.clear();
      state.deferred.clear();
      state.deferring = false;
    },
    ...readsOf(state),
    ...writesOf(state),
  };
}

type RevenueReads = ReturnType<typeof readsOf>;

function readsOf(state: SessionState) {
  const { statements, cache, deferred } = state;
  return {
    accountExists: (accountId: number): boolean =>
      statements.accountExists.get({ id: accountId }) !== undefined,

    /** A customer as the attempt sees it (totals added so far included); do not change the object. */
    findCustomer(customerId: number): Readonly<Customer> | undefined {
      if (!state.deferring) return statements.findCustomer.get({ id: customerId });
      const cached = cache.get(customerId);
      if (cached) return cached;
      const found = statements.findCustomer.get({ id: customerId });
      if (!found) return undefined;
      found.totalRevenueCents += deferred.customerDelta(customerId);
      cache.remember(found);
      return found;
    },

    /** An invoice, deleted or not (one added earlier in the attempt included). */
    findInvoice: (invoiceId: number): Readonly<Invoice> | undefined =>
      deferred.invoice(invoiceId) ?? statements.findInvoice.get({ id: invoiceId }),
  };
}

type RevenueWrites = ReturnType<typeof writesOf>;

function writesOf(state: SessionState) {
  const { statements, cache, deferred } = state;
  return {
    addCustomer(customer: { id: number; accountId: number; name: string }): void {
      statements.addCustomer.run(customer);
      if (state.deferring) cache.remember({ ...customer, totalRevenueCents: 0, deletedDate: null });
    },

    /**
     * Records an invoice and adds its amount to its customer's and its account's totals; false, changing
     * nothing, when an invoice with its id exists (deleted or not). While deferring, an id recorded before
     * the attempt is found only by `flush`.
     */
    addInvoice(
      invoice: { id: number; customerId: number; purchasePriceCents: number; purchaseDate: string },
      accountId: number,
    ): boolean {
      const amount = invoice.purchasePriceCents;
      if (state.deferring && statements.insertInvoices) {
        if (!deferred.addInvoice({ ...invoice, deletedDate: null })) return false;
      } else if (changesOf(statements.addInvoice.run({ ...invoice, amount })) === 0) {
        return false;
      }
      addToTotals(state, invoice.customerId, accountId, amount);
      return true;
    },

    renameCustomer(customerId: number, name: string): void {
      statements.renameCustomer.run({ id: customerId, name });
      const cached = cache.get(customerId);
      if (cached) cached.name = name;
    },

    /** Marks an invoice deleted and takes its amount off its customer's and its account's totals. */
    deleteInvoice(invoice: Readonly<Invoice>, accountId: number, deletedDate: string): void {
      const added = deferred.invoice(invoice.id);
      if (added) added.deletedDate = deletedDate;
      else statements.markInvoiceDeleted.run({ id: invoice.id, deletedDate });
      addToTotals(state, invoice.customerId, accountId, -invoice.purchasePriceCents);
    },

    /** Marks a customer and its live invoices deleted; its whole total leaves its account. */
    deleteCustomer(customer: Readonly<Customer>, deletedDate: string): void {
      statements.markLiveInvoicesDeleted.run({ customerId: customer.id, deletedDate });
      deferred.deleteInvoicesOf(customer.id, deletedDate);
      // The row's total becomes 0 here, so what was added up for it in memory is dropped, not flushed.
      statements.markCustomerDeleted.run({ id: customer.id, deletedDate });
      deferred.forgetCustomerDelta(customer.id);
      const total = customer.totalRevenueCents;
      const cached = cache.get(customer.id);
      if (cached) Object.assign(cached, { deletedDate, totalRevenueCents: 0 });
      if (state.deferring) deferred.addToAccount(customer.accountId, -total);
      else statements.addToAccount.run({ id: customer.accountId, amount: -total });
    },
  };
}

function addToTotals(state: SessionState, customerId: number, accountId: number, amount: number): void {
  if (!state.deferring) {
    state.statements.addToCustomer.run({ id: customerId, amount });
    state.statements.addToAccount.run({ id: accountId, amount });
    return;
  }
  state.deferred.addToCustomer(customerId, amount);
  state.deferred.addToAccount(accountId, amount);
  const cached = state.cache.get(customerId);
  if (cached) cached.totalRevenueCents += amount;
}
