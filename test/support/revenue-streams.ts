import fc from "fast-check";
import { MAX_INVOICE_CENTS } from "../../shared/events/schemas";
import { START_OF_STREAM } from "../../shared/events/stream-contract";
import type { RawEntry } from "../../shared/events/wire";
import { ENTRY_TIME } from "./entries";

/**
 * Random streams for the revenue projection's property tests: well-formed events over small id pools (so
 * they collide), poison entries, republished entries, deletions and renames of what the stream created
 * (before or after it), at stream times that test the park timeout at its boundary.
 */

const created_date = ENTRY_TIME;
/** Short, so that streams of a few seconds give up on parked invoices, often right at the boundary. */
export const PARK_TIMEOUT_MS = 1000;
/** The stream time of the first entry drawn. */
export const START_MS = 1_764_000_000_000;
const MAX_ENTRIES = 40;

type Derived = "InvoiceDeleted" | "CustomerDeleted" | "CustomerUpdated";
type Draft =
  | { fields: string[]; eventId: boolean }
  | { republish: number }
  | { derive: Derived; pick: number; eventId: boolean };
type Step = { draft: Draft; gap: { ms: number; seq: number } };

/** The fields of an entry as the legacy producers write them: an event type and its payload. */
export const json = (type: string, payload: unknown) => [
  "EventTypeName",
  type,
  "Payload",
  JSON.stringify(payload),
];
const withEventId = <T>(fields: fc.Arbitrary<T>) =>
  fc.record({ fields, eventId: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)) });

// Small id pools, so that customers and invoices collide, and accounts 4 and 99 that do not exist.
const customerId = fc.integer({ min: 1, max: 6 }).map(String);
const invoiceId = fc.integer({ min: 1, max: 10 }).map(String);
const accountId = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("1", "2", "3") },
  fc.constantFrom("4", "99"),
);
const customerFields = {
  id: customerId,
  account_id: accountId,
  name: fc.string({ maxLength: 6, unit: "grapheme" }),
};
const customerPayload = fc.record({ ...customerFields, created_date: fc.constant(created_date) });
const invoicePayload = fc.record({
  id: invoiceId,
  customer_id: customerId,
  purchase_price_cents: fc.oneof(fc.integer({ min: 1, max: 100_000 }), fc.constant(MAX_INVOICE_CENTS)),
  purchase_date: fc.constantFrom("2019-01-06", "2024-02-29"),
  created_date: fc.constant(created_date),
});
const accountPayload = fc.record({
  id: fc.constantFrom("1", "4"),
  name: fc.constant("account"),
  description: fc.constant(""),
  owned_by: fc.constant("someone"),
  created_date: fc.constant(created_date),
});
// Deletions and renames name the same small pools, and sometimes the wrong customer or account.
const customerUpdatedPayload = fc.record({ ...customerFields, updated_date: fc.constant(created_date) });
const customerDeletedPayload = fc.record({
  id: customerId,
  account_id: accountId,
  deleted_date: fc.constantFrom(created_date, "2026-12-01T00:00:00.000Z"),
});
const invoiceDeletedPayload = fc.record({
  id: invoiceId,
  customer_id: customerId,
  purchase_price_cents: fc.integer({ min: 1, max: 100_000 }),
  deleted_date: fc.constantFrom(created_date, "2026-12-01T00:00:00.000Z"),
});
const accountDeletedPayload = fc.record({
  id: fc.constantFrom("1", "2", "3"),
  owned_by: fc.constant("someone"),
  deleted_date: fc.constant(created_date),
});
const poison: fc.Arbitrary<string[]> = fc.oneof(
  fc
    .constantFrom("InvoiceCreated", "CustomerCreated")
    .map((type) => ["EventTypeName", type, "Payload", "{not json"]),
  fc.constant(json("CustomerDeleted", {})),
  fc.constant(json("InvoiceDeleted", { id: "1" })),
  invoiceDeletedPayload.map((payload) => json("InvoiceDeleted", { ...payload, purchase_price_cents: -1 })),
  fc.constant<string[]>(["Payload", "{}"]),
  fc.constant<string[]>(["EventTypeName", "InvoiceCreated"]),
  invoicePayload.map((payload) => [
    "EventTypeName",
    "InvoiceCreated",
    "EventTypeName",
    "AccountCreated",
    "Payload",
    JSON.stringify(payload),
  ]),
  invoicePayload.map((payload) => [...json("InvoiceCreated", payload), "EventVersion", "2"]),
  fc
    .tuple(
      invoicePayload,
      fc.constantFrom<[string, unknown]>(
        ["purchase_price_cents", "12"],
        ["purchase_price_cents", 0],
        ["purchase_price_cents", 1.5],
        ["purchase_price_cents", MAX_INVOICE_CENTS + 1],
        ["purchase_date", "2019-02-30"],
        ["customer_id", 5],
        ["id", "05"],
      ),
    )
    .map(([payload, [field, value]]) => json("InvoiceCreated", { ...payload, [field]: value })),
  customerPayload.map((payload) => json("CustomerCreated", { ...payload, account_id: 1 })),
  // Not ours to handle: a malformed AccountCreated only moves the checkpoint, it is no dead letter.
  fc.constant(json("AccountCreated", { id: "x" })),
);
const draft: fc.Arbitrary<Draft> = fc.oneof(
  { weight: 3, arbitrary: withEventId(customerPayload.map((payload) => json("CustomerCreated", payload))) },
  { weight: 5, arbitrary: withEventId(invoicePayload.map((payload) => json("InvoiceCreated", payload))) },
  { weight: 1, arbitrary: withEventId(accountPayload.map((payload) => json("AccountCreated", payload))) },
  {
    weight: 1,
    arbitrary: withEventId(customerUpdatedPayload.map((payload) => json("CustomerUpdated", payload))),
  },
  {
    weight: 1,
    arbitrary: withEventId(customerDeletedPayload.map((payload) => json("CustomerDeleted", payload))),
  },
  {
    weight: 2,
    arbitrary: withEventId(invoiceDeletedPayload.map((payload) => json("InvoiceDeleted", payload))),
  },
  // Not ours to handle: accounts deletes its own accounts (the route), the projection only passes it.
  {
    weight: 1,
    arbitrary: withEventId(accountDeletedPayload.map((payload) => json("AccountDeleted", payload))),
  },
  { weight: 1, arbitrary: withEventId(poison) },
  { weight: 2, arbitrary: fc.record({ republish: fc.nat() }) },
  // A deletion or rename of a customer or invoice drawn elsewhere in the stream (before or after it).
  {
    weight: 6,
    arbitrary: fc.record({
      derive: fc.constantFrom<Derived>(
        "InvoiceDeleted",
        "InvoiceDeleted",
        "CustomerDeleted",
        "CustomerUpdated",
      ),
      pick: fc.nat(),
      eventId: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, fc.constant(false)),
    }),
  },
);
// Entries share a millisecond, or follow within the park timeout, right at it, or well after it.
// Sequence numbers jump (XDEL leaves holes), so that they pass from one digit to two within a millisecond.
const gap = fc.oneof(
  { weight: 3, arbitrary: fc.record({ ms: fc.constant(0), seq: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ ms: fc.integer({ min: 1, max: 400 }), seq: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ ms: fc.constantFrom(999, 1000, 1001), seq: fc.constant(0) }) },
  { weight: 1, arbitrary: fc.record({ ms: fc.integer({ min: 1002, max: 3000 }), seq: fc.constant(0) }) },
);
/** The draws a stream is made from, one per entry. */
export const steps = fc.array(fc.record({ draft, gap }), {
  minLength: 1,
  maxLength: MAX_ENTRIES,
  size: "+1",
});

/** Where a stream is cut into batches. */
export const cuts = fc.uniqueArray(fc.integer({ min: 1, max: MAX_ENTRIES - 1 }), { maxLength: 12 });

/** The stream the steps describe: increasing IDs; a republished entry repeats an earlier one's fields. */
export function streamOf(drawn: Step[], eventIds: "as drawn" | "always"): RawEntry[] {
  const entries: RawEntry[] = [];
  const targets = targetsOf(drawn);
  let ms = START_MS;
  let seq = 0;
  for (const [index, { draft, gap }] of drawn.entries()) {
    const own = "republish" in draft ? undefined : "derive" in draft ? derived(draft, targets) : draft.fields;
    const fields =
      "republish" in draft
        ? entries[draft.republish % Math.max(entries.length, 1)]?.fields
        : own === undefined
          ? undefined
          : draft.eventId || eventIds === "always"
            ? [...own, "EventId", `event-${index}`]
            : own;
    if (fields === undefined) continue;
    ms += gap.ms;
    seq = gap.ms === 0 ? seq + gap.seq : 0;
    entries.push({ id: `${ms}-${seq}`, fields });
  }
  return entries;
}

type Targets = { invoices: Record<string, unknown>[]; customers: Record<string, unknown>[] };

/** The payloads of the well-formed customers and invoices drawn, which deletions and renames may name. */
function targetsOf(drawn: Step[]): Targets {
  const targets: Targets = { invoices: [], customers: [] };
  for (const { draft } of drawn) {
    if (!("fields" in draft) || draft.fields[0] !== "EventTypeName" || draft.fields[2] !== "Payload")
      continue;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(draft.fields[3] as string);
    } catch {
      continue;
    }
    if (draft.fields[1] === "InvoiceCreated") targets.invoices.push(payload);
    if (draft.fields[1] === "CustomerCreated") targets.customers.push(payload);
  }
  return targets;
}

function derived(draft: { derive: Derived; pick: number }, targets: Targets): string[] | undefined {
  const pool = draft.derive === "InvoiceDeleted" ? targets.invoices : targets.customers;
  const target = pool[draft.pick % Math.max(pool.length, 1)];
  if (target === undefined) return undefined;
  const deleted_date = created_date;
  switch (draft.derive) {
    case "InvoiceDeleted":
      return json("InvoiceDeleted", {
        id: target.id,
        customer_id: target.customer_id,
        purchase_price_cents: target.purchase_price_cents,
        deleted_date,
      });
    case "CustomerDeleted":
      return json("CustomerDeleted", { id: target.id, account_id: target.account_id, deleted_date });
    case "CustomerUpdated":
      return json("CustomerUpdated", {
        id: target.id,
        account_id: target.account_id,
        name: `renamed ${draft.pick % 7}`,
        updated_date: deleted_date,
      });
  }
}

/** The same entries written again after the last one, each with a new ID and the same fields. */
export function replayed(entries: RawEntry[]): RawEntry[] {
  const last = entries[entries.length - 1]?.id ?? START_OF_STREAM;
  const shift = Number(last.split("-")[0]) - START_MS + 1;
  return entries.map(({ id, fields }) => {
    const [ms, seq] = id.split("-");
    return { id: `${Number(ms) + shift}-${seq}`, fields };
  });
}

export function batchesOf(entries: RawEntry[], at: number[]): RawEntry[][] {
  const bounds = [0, ...[...at].filter((cut) => cut < entries.length).sort((a, b) => a - b), entries.length];
  return bounds.slice(1).map((end, index) => entries.slice(bounds[index], end));
}
