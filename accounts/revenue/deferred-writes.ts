import type { FlushOutcome } from "../../shared/projection/handler";
import type { Invoice } from "../tables";
import type { RevenueStatements } from "./statements";

export type DeferredWrites = ReturnType<typeof createDeferredWrites>;

/**
 * What an all-or-nothing attempt writes only at its end: the invoices it added, inserted together, and
 * what it added to each customer's and account's total, written once per row.
 */
export function createDeferredWrites(statements: RevenueStatements) {
  const invoices = new Map<number, Invoice>();
  const customerDeltas = new Map<number, number>();
  const accountDeltas = new Map<number, number>();
  const addTo = (deltas: Map<number, number>, key: number, amount: number) =>
    deltas.set(key, (deltas.get(key) ?? 0) + amount);
  const clear = () => {
    invoices.clear();
    customerDeltas.clear();
    accountDeltas.clear();
  };

  return {
    clear,
    /** An invoice added in the attempt; change it in place to mark it deleted. */
    invoice: (invoiceId: number): Invoice | undefined => invoices.get(invoiceId),
    /** False when the attempt added an invoice with this id already. */
    addInvoice(invoice: Invoice): boolean {
      if (invoices.has(invoice.id)) return false;
      invoices.set(invoice.id, invoice);
      return true;
    },
    deleteInvoicesOf(customerId: number, deletedDate: string): void {
      for (const invoice of invoices.values()) {
        if (invoice.customerId === customerId && invoice.deletedDate === null)
          invoice.deletedDate = deletedDate;
      }
    },
    customerDelta: (customerId: number): number => customerDeltas.get(customerId) ?? 0,
    addToCustomer: (customerId: number, amount: number) => addTo(customerDeltas, customerId, amount),
    addToAccount: (accountId: number, amount: number) => addTo(accountDeltas, accountId, amount),
    /** The customer's row total was set outright: what was added up for it is dropped, not written. */
    forgetCustomerDelta(customerId: number): void {
      customerDeltas.delete(customerId);
    },
    /** Writes it all in the open transaction; `conflict` when an invoice id was taken before the attempt. */
    flush(): FlushOutcome {
      if (insertInvoices(statements, invoices) === "conflict") return "conflict";
      addAll(customerDeltas, statements.addToCustomers, statements.addToCustomer);
      addAll(accountDeltas, statements.addToAccounts, statements.addToAccount);
      clear();
      return "written";
    },
  };
}

function insertInvoices(statements: RevenueStatements, invoices: Map<number, Invoice>): FlushOutcome {
  if (invoices.size === 0 || !statements.insertInvoices) return "written";
  const rows = Array.from(invoices.values(), (invoice) => [
    invoice.id,
    invoice.customerId,
    invoice.purchasePriceCents,
    invoice.purchaseDate,
    invoice.deletedDate,
  ]);
  return statements.insertInvoices(rows) === rows.length ? "written" : "conflict";
}

// Each changed total in one statement per hundred when the connection allows it (an UPDATE per customer
// was a seventh of applying a batch that touches a thousand customers), else one by one.
function addAll(
  deltas: Map<number, number>,
  inBulk: ((rows: Iterable<readonly [number, number]>) => number) | undefined,
  oneByOne: { run(values: { id: number; amount: number }): unknown },
): void {
  const changes = [...deltas].filter(([, amount]) => amount !== 0);
  if (inBulk) inBulk(changes);
  else for (const [id, amount] of changes) oneByOne.run({ id, amount });
}
