import { EVENT_TYPES, type EventType } from "../../shared/events/schemas";
import { type DecodedEntry, decodeEntry, type RawEntry, typeOfEntry } from "../../shared/events/wire";

export type FoldedCustomer = { accountId: number; name: string; total: number };

/** The revenue read model as the accounts projection leaves it, stream ids in the order they got there. */
export type FoldedRevenue = {
  /** Every customer ever counted, deleted ones included (their total is 0). */
  customers: Map<number, FoldedCustomer>;
  accountTotals: Map<number, number>;
  /** Every invoice id ever counted, deleted ones included. */
  invoices: Set<number>;
  deletedCustomers: Set<number>;
  deletedInvoices: Set<number>;
  deadLetters: string[];
  parked: string[];
};

type Decoded = Extract<DecodedEntry, { ok: true }>;
type Parked = { entry: Decoded; awaiting: string; atMs: number };
type FoldedInvoice = { customerId: number; amount: number };

const HANDLED: readonly EventType[] = [
  "CustomerCreated",
  "CustomerUpdated",
  "CustomerDeleted",
  "InvoiceCreated",
  "InvoiceDeleted",
];

/** The outcome of one event: applied (maybe resolving what waits on a key), parked, or rejected. */
type Outcome = { applied: true; resolves?: string } | { parkOn: string } | { rejected: true };

/**
 * The accounts read model computed from stream entries in stream order, without a database: what
 * createRevenueProjection (accounts/revenue/handler.ts over shared/projection/projection.ts) must end with, however the
 * entries were batched. `accounts` are the ids of the accounts that exist (deleted ones too: the
 * projection does not look at account deletions).
 */
export function foldRevenue(
  accounts: Iterable<number>,
  entries: readonly RawEntry[],
  options: { parkTimeoutMs?: number } = {},
): FoldedRevenue {
  const { parkTimeoutMs = 5 * 60_000 } = options;
  const model: FoldedRevenue = {
    customers: new Map(),
    accountTotals: new Map([...accounts].map((id) => [id, 0])),
    invoices: new Set(),
    deletedCustomers: new Set(),
    deletedInvoices: new Set(),
    deadLetters: [],
    parked: [],
  };
  const invoiceRows = new Map<number, FoldedInvoice>();
  const appliedEventIds = new Set<string>();
  // In stream order: parking happens in stream order and a released entry is never parked again.
  let parked: Parked[] = [];

  const addToAccount = (accountId: number, amount: number) =>
    model.accountTotals.set(accountId, (model.accountTotals.get(accountId) ?? 0) + amount);

  /** A customer an update or deletion may name: park until it exists, reject once deleted or moved. */
  function liveCustomer(id: number, accountId: number): FoldedCustomer | Outcome {
    const customer = model.customers.get(id);
    if (!customer) return { parkOn: `customer:${id}` };
    if (model.deletedCustomers.has(id) || customer.accountId !== accountId) return { rejected: true };
    return customer;
  }

  function outcomeOf(entry: Decoded): Outcome {
    const { event } = entry;
    switch (event.type) {
      case "CustomerCreated": {
        const id = Number(event.payload.id);
        const accountId = Number(event.payload.account_id);
        if (!model.accountTotals.has(accountId) || model.customers.has(id)) return { rejected: true };
        model.customers.set(id, { accountId, name: event.payload.name, total: 0 });
        return { applied: true, resolves: `customer:${id}` };
      }
      case "CustomerUpdated": {
        const found = liveCustomer(Number(event.payload.id), Number(event.payload.account_id));
        if (!("total" in found)) return found;
        found.name = event.payload.name;
        return { applied: true };
      }
      case "CustomerDeleted": {
        const id = Number(event.payload.id);
        const found = liveCustomer(id, Number(event.payload.account_id));
        if (!("total" in found)) return found;
        for (const [invoiceId, invoice] of invoiceRows) {
          if (invoice.customerId === id) model.deletedInvoices.add(invoiceId);
        }
        addToAccount(found.accountId, -found.total);
        found.total = 0;
        model.deletedCustomers.add(id);
        return { applied: true };
      }
      case "InvoiceCreated": {
        const id = Number(event.payload.id);
        const customerId = Number(event.payload.customer_id);
        const customer = model.customers.get(customerId);
        if (!customer) return { parkOn: `customer:${customerId}` };
        if (model.deletedCustomers.has(customerId) || model.invoices.has(id)) return { rejected: true };
        const amount = event.payload.purchase_price_cents;
        model.invoices.add(id);
        invoiceRows.set(id, { customerId, amount });
        customer.total += amount;
        addToAccount(customer.accountId, amount);
        return { applied: true, resolves: `invoice:${id}` };
      }
      case "InvoiceDeleted": {
        const id = Number(event.payload.id);
        const invoice = invoiceRows.get(id);
        if (!invoice) return { parkOn: `invoice:${id}` };
        const customer = model.customers.get(invoice.customerId);
        if (
          model.deletedInvoices.has(id) ||
          invoice.customerId !== Number(event.payload.customer_id) ||
          !customer
        ) {
          return { rejected: true };
        }
        model.deletedInvoices.add(id);
        customer.total -= invoice.amount;
        addToAccount(customer.accountId, -invoice.amount);
        return { applied: true };
      }
      default:
        return { rejected: true };
    }
  }

  function apply(entry: Decoded): void {
    if (entry.eventId !== null && appliedEventIds.has(entry.eventId)) return;
    const outcome = outcomeOf(entry);
    if ("parkOn" in outcome) {
      parked.push({ entry, awaiting: outcome.parkOn, atMs: streamMs(entry.streamId) });
      return;
    }
    if ("rejected" in outcome) {
      model.deadLetters.push(entry.streamId);
      return;
    }
    if (entry.eventId !== null) appliedEventIds.add(entry.eventId);
    if (outcome.resolves === undefined) return;
    const waiting = parked.filter((item) => item.awaiting === outcome.resolves);
    parked = parked.filter((item) => item.awaiting !== outcome.resolves);
    for (const item of waiting) apply(item.entry);
  }

  for (const raw of entries) {
    // Before the entry itself, as applyBatch does: its stream time gives up on entries parked too long.
    const now = streamMs(raw.id);
    const expired = parked.filter((item) => item.atMs < now - parkTimeoutMs);
    parked = parked.filter((item) => item.atMs >= now - parkTimeoutMs);
    model.deadLetters.push(...expired.map((item) => item.entry.streamId));

    const type = typeOfEntry(raw);
    const known = type !== undefined && (EVENT_TYPES as readonly string[]).includes(type);
    if (known && !HANDLED.includes(type as EventType)) continue;
    const decoded = decodeEntry(raw);
    if (decoded.ok) apply(decoded);
    else model.deadLetters.push(decoded.streamId);
  }
  model.parked = parked.map((item) => item.entry.streamId);
  return model;
}

function streamMs(streamId: string): number {
  return Number(streamId.split("-")[0]);
}
