import { EVENT_TYPES, type EventOf, type EventType } from "../../shared/events/schemas";
import { streamTimeOf } from "../../shared/events/stream-contract";
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

/** The model being folded, with what the projection keeps beside it. */
type Fold = {
  model: FoldedRevenue;
  invoiceRows: Map<number, FoldedInvoice>;
  appliedEventIds: Set<string>;
  /** In stream order: parking happens in stream order and a released entry is never parked again. */
  parked: Parked[];
};

const HANDLED: readonly EventType[] = [
  "CustomerCreated",
  "CustomerUpdated",
  "CustomerDeleted",
  "InvoiceCreated",
  "InvoiceDeleted",
];

/** The outcome of one event: applied (maybe resolving what waits on a key), parked, or rejected. */
type Outcome = { applied: true; resolves?: string } | { parkOn: string } | { rejected: true };

const APPLIED: Outcome = { applied: true };
const REJECTED: Outcome = { rejected: true };

/**
 * The accounts read model computed from stream entries in stream order, without a database: what
 * createRevenueProjection (accounts/revenue/handler.ts over shared/projection/) must end with, however
 * the entries were batched. `accounts` are the ids of the accounts that exist (deleted ones too: the
 * projection does not look at account deletions).
 */
export function foldRevenue(
  accounts: Iterable<number>,
  entries: readonly RawEntry[],
  options: { parkTimeoutMs?: number } = {},
): FoldedRevenue {
  const { parkTimeoutMs = 5 * 60_000 } = options;
  const fold: Fold = {
    model: {
      customers: new Map(),
      accountTotals: new Map([...accounts].map((id) => [id, 0])),
      invoices: new Set(),
      deletedCustomers: new Set(),
      deletedInvoices: new Set(),
      deadLetters: [],
      parked: [],
    },
    invoiceRows: new Map(),
    appliedEventIds: new Set(),
    parked: [],
  };
  for (const raw of entries) {
    // Before the entry itself, as applyBatch does: its stream time gives up on entries parked too long.
    expireParked(fold, streamTimeOf(raw.id) - parkTimeoutMs);
    const type = typeOfEntry(raw);
    const known = type !== undefined && (EVENT_TYPES as readonly string[]).includes(type);
    if (known && !HANDLED.includes(type as EventType)) continue;
    const decoded = decodeEntry(raw);
    if (decoded.ok) apply(fold, decoded);
    else fold.model.deadLetters.push(decoded.streamId);
  }
  fold.model.parked = fold.parked.map((item) => item.entry.streamId);
  return fold.model;
}

function expireParked(fold: Fold, parkedBeforeMs: number): void {
  const expired = fold.parked.filter((item) => item.atMs < parkedBeforeMs);
  fold.parked = fold.parked.filter((item) => item.atMs >= parkedBeforeMs);
  fold.model.deadLetters.push(...expired.map((item) => item.entry.streamId));
}

function apply(fold: Fold, entry: Decoded): void {
  if (entry.eventId !== null && fold.appliedEventIds.has(entry.eventId)) return;
  const outcome = outcomeOf(fold, entry);
  if ("parkOn" in outcome) {
    fold.parked.push({ entry, awaiting: outcome.parkOn, atMs: streamTimeOf(entry.streamId) });
    return;
  }
  if ("rejected" in outcome) {
    fold.model.deadLetters.push(entry.streamId);
    return;
  }
  if (entry.eventId !== null) fold.appliedEventIds.add(entry.eventId);
  if (outcome.resolves === undefined) return;
  const waiting = fold.parked.filter((item) => item.awaiting === outcome.resolves);
  fold.parked = fold.parked.filter((item) => item.awaiting !== outcome.resolves);
  for (const item of waiting) apply(fold, item.entry);
}

function outcomeOf(fold: Fold, { event }: Decoded): Outcome {
  switch (event.type) {
    case "CustomerCreated":
      return customerCreated(fold, event.payload);
    case "CustomerUpdated":
      return customerUpdated(fold, event.payload);
    case "CustomerDeleted":
      return customerDeleted(fold, event.payload);
    case "InvoiceCreated":
      return invoiceCreated(fold, event.payload);
    case "InvoiceDeleted":
      return invoiceDeleted(fold, event.payload);
    default:
      return REJECTED;
  }
}

function customerCreated({ model }: Fold, payload: EventOf<"CustomerCreated">["payload"]): Outcome {
  const id = Number(payload.id);
  const accountId = Number(payload.account_id);
  if (!model.accountTotals.has(accountId) || model.customers.has(id)) return REJECTED;
  model.customers.set(id, { accountId, name: payload.name, total: 0 });
  return { applied: true, resolves: `customer:${id}` };
}

function customerUpdated(fold: Fold, payload: EventOf<"CustomerUpdated">["payload"]): Outcome {
  const found = liveCustomer(fold, Number(payload.id), Number(payload.account_id));
  if (!("total" in found)) return found;
  found.name = payload.name;
  return APPLIED;
}

function customerDeleted(fold: Fold, payload: EventOf<"CustomerDeleted">["payload"]): Outcome {
  const id = Number(payload.id);
  const found = liveCustomer(fold, id, Number(payload.account_id));
  if (!("total" in found)) return found;
  for (const [invoiceId, invoice] of fold.invoiceRows) {
    if (invoice.customerId === id) fold.model.deletedInvoices.add(invoiceId);
  }
  addToAccount(fold, found.accountId, -found.total);
  found.total = 0;
  fold.model.deletedCustomers.add(id);
  return APPLIED;
}

function invoiceCreated(fold: Fold, payload: EventOf<"InvoiceCreated">["payload"]): Outcome {
  const { model } = fold;
  const id = Number(payload.id);
  const customerId = Number(payload.customer_id);
  const customer = model.customers.get(customerId);
  if (!customer) return { parkOn: `customer:${customerId}` };
  if (model.deletedCustomers.has(customerId) || model.invoices.has(id)) return REJECTED;
  const amount = payload.purchase_price_cents;
  model.invoices.add(id);
  fold.invoiceRows.set(id, { customerId, amount });
  customer.total += amount;
  addToAccount(fold, customer.accountId, amount);
  return { applied: true, resolves: `invoice:${id}` };
}

function invoiceDeleted(fold: Fold, payload: EventOf<"InvoiceDeleted">["payload"]): Outcome {
  const { model } = fold;
  const id = Number(payload.id);
  const invoice = fold.invoiceRows.get(id);
  if (!invoice) return { parkOn: `invoice:${id}` };
  const customer = model.customers.get(invoice.customerId);
  if (model.deletedInvoices.has(id) || invoice.customerId !== Number(payload.customer_id) || !customer) {
    return REJECTED;
  }
  model.deletedInvoices.add(id);
  customer.total -= invoice.amount;
  addToAccount(fold, customer.accountId, -invoice.amount);
  return APPLIED;
}

/** A customer an update or deletion may name: park until it exists, reject once deleted or moved. */
function liveCustomer({ model }: Fold, id: number, accountId: number): FoldedCustomer | Outcome {
  const customer = model.customers.get(id);
  if (!customer) return { parkOn: `customer:${id}` };
  if (model.deletedCustomers.has(id) || customer.accountId !== accountId) return REJECTED;
  return customer;
}

function addToAccount({ model }: Fold, accountId: number, amount: number): void {
  model.accountTotals.set(accountId, (model.accountTotals.get(accountId) ?? 0) + amount);
}
