import type { RawEntry } from "../../shared/events/wire";

/** Stream entries in the wire format, for feeding projections and folds directly. */
export const ENTRY_TIME = "2026-11-24T10:00:00.000Z";

export const entry = (id: string, type: string, payload: unknown, eventId?: string): RawEntry => {
  const identity = eventId === undefined ? [] : ["EventId", eventId];
  return { id, fields: ["EventTypeName", type, "Payload", JSON.stringify(payload), ...identity] };
};

export const customerEntry = (streamId: string, id: number, accountId: number, eventId?: string) =>
  entry(
    streamId,
    "CustomerCreated",
    { id: String(id), account_id: String(accountId), name: `Customer ${id}`, created_date: ENTRY_TIME },
    eventId,
  );

/** A version 1 InvoiceCreated (no currency, as legacy producers write it). */
export const invoiceEntry = (
  streamId: string,
  id: number,
  customerId: number,
  cents: number,
  eventId?: string,
) =>
  entry(
    streamId,
    "InvoiceCreated",
    {
      id: String(id),
      customer_id: String(customerId),
      purchase_price_cents: cents,
      purchase_date: "2019-01-06",
      created_date: ENTRY_TIME,
    },
    eventId,
  );

export const customerDeletedEntry = (streamId: string, id: number, accountId: number) =>
  entry(streamId, "CustomerDeleted", {
    id: String(id),
    account_id: String(accountId),
    deleted_date: ENTRY_TIME,
  });

export const invoiceDeletedEntry = (streamId: string, id: number, customerId: number, cents: number) =>
  entry(streamId, "InvoiceDeleted", {
    id: String(id),
    customer_id: String(customerId),
    purchase_price_cents: cents,
    deleted_date: ENTRY_TIME,
  });

export const customerUpdatedEntry = (streamId: string, id: number, accountId: number, name: string) =>
  entry(streamId, "CustomerUpdated", {
    id: String(id),
    account_id: String(accountId),
    name,
    updated_date: ENTRY_TIME,
  });
