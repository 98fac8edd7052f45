import { EVENT_TYPES, type EventType } from "../shared/events";
import { type DecodedEntry, decodeEntry, type RawEntry, typeOfEntry } from "../shared/wire";

export type FoldedCustomer = { accountId: number; name: string; total: number };

/** The revenue read model as the accounts projection leaves it, stream ids in the order they got there. */
export type FoldedRevenue = {
  customers: Map<number, FoldedCustomer>;
  accountTotals: Map<number, number>;
  invoices: Set<number>;
  deadLetters: string[];
  parked: string[];
};

type Decoded = Extract<DecodedEntry, { ok: true }>;
type Parked = { entry: Decoded; customerId: number; atMs: number };

const HANDLED: readonly EventType[] = ["CustomerCreated", "InvoiceCreated"];

/**
 * The accounts read model computed from stream entries in stream order, without a database: what
 * createRevenueProjection (accounts/consumer.ts over shared/projection.ts) must end with, however the
 * entries were batched. `accounts` are the ids of the accounts that exist.
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
    deadLetters: [],
    parked: [],
  };
  const appliedEventIds = new Set<string>();
  // In stream order: parking happens in stream order and a released entry is never parked again.
  let parked: Parked[] = [];

  const applied = (entry: Decoded) => {
    if (entry.eventId !== null) appliedEventIds.add(entry.eventId);
  };

  function apply(entry: Decoded): void {
    if (entry.eventId !== null && appliedEventIds.has(entry.eventId)) return;
    const { event } = entry;
    if (event.type === "CustomerCreated") {
      const id = Number(event.payload.id);
      const accountId = Number(event.payload.account_id);
      if (!model.accountTotals.has(accountId) || model.customers.has(id)) {
        model.deadLetters.push(entry.streamId);
        return;
      }
      model.customers.set(id, { accountId, name: event.payload.name, total: 0 });
      applied(entry);
      const waiting = parked.filter((item) => item.customerId === id);
      parked = parked.filter((item) => item.customerId !== id);
      for (const item of waiting) apply(item.entry);
    } else if (event.type === "InvoiceCreated") {
      const id = Number(event.payload.id);
      const customerId = Number(event.payload.customer_id);
      const customer = model.customers.get(customerId);
      if (!customer) {
        parked.push({ entry, customerId, atMs: streamMs(entry.streamId) });
        return;
      }
      if (model.invoices.has(id)) {
        model.deadLetters.push(entry.streamId);
        return;
      }
      const amount = event.payload.purchase_price_cents;
      model.invoices.add(id);
      customer.total += amount;
      model.accountTotals.set(
        customer.accountId,
        (model.accountTotals.get(customer.accountId) ?? 0) + amount,
      );
      applied(entry);
    }
  }

  for (const raw of entries) {
    // Before the entry itself, as applyBatch does: its stream time gives up on invoices parked too long.
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
