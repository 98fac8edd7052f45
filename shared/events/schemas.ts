import { z } from "zod";

/** The largest id: 15 digits stay exact in JS numbers. */
export const MAX_ID = 999_999_999_999_999;

/** Ids on the wire are decimal integer strings, as in the legacy system; capped at MAX_ID. */
export const decimalId = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, 'must be a decimal integer string, e.g. "42"');

/** One invoice may not exceed ten billion cents: totals stay far below 2^53 and stay exact. */
export const MAX_INVOICE_CENTS = 10_000_000_000;

export const cents = z
  .number({ error: "must be an integer number of cents" })
  .int({ message: "must be an integer number of cents", abort: true })
  .positive("must be greater than zero")
  .max(MAX_INVOICE_CENTS, `must be at most ${MAX_INVOICE_CENTS}`);

/** A real calendar day written YYYY-MM-DD (2019-02-30 is refused). */
export const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a date written YYYY-MM-DD", abort: true })
  .refine(isCalendarDate, "is not a real calendar date");

// Called only on a value the regex above accepted (its check aborts): YYYY-MM-DD, all digits.
function isCalendarDate(value: string): boolean {
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const timestamp = z.iso.datetime({ offset: true });

export const accountCreatedPayload = z.object({
  id: decimalId,
  name: z.string(),
  description: z.string(),
  owned_by: z.string().min(1),
  created_date: timestamp,
});

export const customerCreatedPayload = z.object({
  id: decimalId,
  account_id: decimalId,
  name: z.string(),
  created_date: timestamp,
});

/** ISO 4217 currency code; the system books USD only for now (totals add up one currency). */
export const currency = z.literal("USD", { error: 'must be "USD", the one currency booked so far' });

/** Version 2: version 1 plus `currency` (v1 entries are read as USD, see UPCASTERS). */
export const invoiceCreatedPayload = z.object({
  id: decimalId,
  customer_id: decimalId,
  purchase_price_cents: cents,
  purchase_date: calendarDate,
  created_date: timestamp,
  currency,
});

export const accountDeletedPayload = z.object({
  id: decimalId,
  owned_by: z.string().min(1),
  deleted_date: timestamp,
});

export const customerUpdatedPayload = z.object({
  id: decimalId,
  account_id: decimalId,
  name: z.string(),
  updated_date: timestamp,
});

/** A customer and all its invoices are gone; their revenue leaves the account. */
export const customerDeletedPayload = z.object({
  id: decimalId,
  account_id: decimalId,
  deleted_date: timestamp,
});

export const invoiceDeletedPayload = z.object({
  id: decimalId,
  customer_id: decimalId,
  purchase_price_cents: cents,
  deleted_date: timestamp,
});

/** Every event of the system, discriminated by its wire name (`EventTypeName`). */
export const domainEvent = z.discriminatedUnion("type", [
  z.object({ type: z.literal("AccountCreated"), payload: accountCreatedPayload }),
  z.object({ type: z.literal("AccountDeleted"), payload: accountDeletedPayload }),
  z.object({ type: z.literal("CustomerCreated"), payload: customerCreatedPayload }),
  z.object({ type: z.literal("CustomerUpdated"), payload: customerUpdatedPayload }),
  z.object({ type: z.literal("CustomerDeleted"), payload: customerDeletedPayload }),
  z.object({ type: z.literal("InvoiceCreated"), payload: invoiceCreatedPayload }),
  z.object({ type: z.literal("InvoiceDeleted"), payload: invoiceDeletedPayload }),
]);

export type DomainEvent = z.infer<typeof domainEvent>;
export type EventType = DomainEvent["type"];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;
export type AccountCreated = EventOf<"AccountCreated">;
export type CustomerCreated = EventOf<"CustomerCreated">;
export type InvoiceCreated = EventOf<"InvoiceCreated">;
export type AccountDeleted = EventOf<"AccountDeleted">;
export type CustomerUpdated = EventOf<"CustomerUpdated">;
export type CustomerDeleted = EventOf<"CustomerDeleted">;
export type InvoiceDeleted = EventOf<"InvoiceDeleted">;

export const EVENT_TYPES: readonly EventType[] = domainEvent.options.map((option) => option.shape.type.value);

type PayloadSchemas = { [T in EventType]: z.ZodType<EventOf<T>["payload"]> };

/**
 * Each type's payload schema (the same objects the union holds), for a payload whose type is already
 * known: parsing it directly skips the union's dispatch, and warms up in a third of the entries.
 */
export const PAYLOAD_SCHEMAS = Object.fromEntries(
  domainEvent.options.map((option) => [option.shape.type.value, option.shape.payload]),
) as unknown as PayloadSchemas;

/** A payload that has passed its type's schema, paired with that type. */
export function eventOf<T extends EventType>(type: T, payload: EventOf<T>["payload"]): EventOf<T> {
  return { type, payload } as EventOf<T>;
}

/** The schema version this code writes, per event type; older versions are upcast when read. */
export const CURRENT_VERSIONS: Record<EventType, number> = {
  AccountCreated: 1,
  AccountDeleted: 1,
  CustomerCreated: 1,
  CustomerUpdated: 1,
  CustomerDeleted: 1,
  InvoiceCreated: 2,
  InvoiceDeleted: 1,
};

type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;

/**
 * For each type, the step from version N to N+1 of its payload, applied in turn to an older entry before
 * it is parsed, so entries already on the stream keep being read correctly after a change of shape.
 */
export const UPCASTERS: Partial<Record<EventType, Record<number, Upcaster>>> = {
  InvoiceCreated: {
    1: (payload) => ({ currency: "USD", ...payload }),
  },
};
