import { describe, expect, test } from "bun:test";
import { CURRENT_VERSIONS, type DomainEvent } from "../../../shared/events/schemas";
import { compareStreamIds } from "../../../shared/events/stream-contract";
import {
  decodeEntry,
  encodeEnvelope,
  envelopeOf,
  type RawEntry,
  typeOfEntry,
} from "../../../shared/events/wire";
import { legacyWire } from "../../support/fixtures";

const readLegacyEntries = () => legacyWire().entries_as_written_by_legacy_customers_service;

const created_date = "2026-11-24T10:00:00.000Z";
const invoice = {
  id: "7",
  customer_id: "3",
  purchase_price_cents: 2550,
  purchase_date: "2019-01-07",
  created_date,
  currency: "USD" as const,
};

const events: DomainEvent[] = [
  {
    type: "AccountCreated",
    payload: { id: "1", name: "one", description: "first", owned_by: "user1", created_date },
  },
  { type: "CustomerCreated", payload: { id: "3", account_id: "1", name: "John Adams", created_date } },
  { type: "InvoiceCreated", payload: invoice },
];

const entryOf = (fields: Record<string, string> | string[], id = "1700000000000-0"): RawEntry => ({
  id,
  fields: Array.isArray(fields) ? fields : Object.entries(fields).flat(),
});

/** The decoded event, or the reason it was rejected, as one value to compare. */
const eventOf = (entry: RawEntry): unknown => {
  const decoded = decodeEntry(entry);
  return decoded.ok ? decoded.event : decoded.reason;
};

const invoiceFields = (payload: unknown, extra: Record<string, string> = {}) => ({
  EventTypeName: "InvoiceCreated",
  Payload: JSON.stringify(payload),
  ...extra,
});

describe("encodeEnvelope then decodeEntry", () => {
  test.each(events.map((event) => [event.type, event] as const))(
    "gives back the %s event with its id, version and time",
    (_type, event) => {
      const envelope = envelopeOf(event, crypto.randomUUID(), new Date(created_date));
      const decoded = decodeEntry(entryOf(encodeEnvelope(envelope), "5-1"));

      expect(decoded).toMatchObject({
        ok: true,
        streamId: "5-1",
        eventId: envelope.eventId,
        version: CURRENT_VERSIONS[event.type],
        occurredAt: created_date,
      });
      expect(decoded.ok ? decoded.event : decoded.reason).toEqual(event);
    },
  );

  test("writes the legacy fields first, with a snake_case JSON Payload", () => {
    const event = events[2] as DomainEvent;
    const fields = encodeEnvelope(envelopeOf(event, "event-1", new Date(created_date)));

    expect(fields).toEqual([
      "EventTypeName",
      "InvoiceCreated",
      "Payload",
      JSON.stringify(invoice),
      "EventId",
      "event-1",
      "EventVersion",
      "2",
      "OccurredAt",
      created_date,
    ]);
  });
});

describe("entries written by the legacy customers service", () => {
  test.each(readLegacyEntries().map((entry, index) => [index, entry.fields] as const))(
    "entry %d decodes whatever its field order, with no event id and version 1",
    (_index, fields) => {
      const decoded = decodeEntry(entryOf(fields));

      expect(decoded).toMatchObject({ ok: true, eventId: null, version: 1, occurredAt: null });
      // Legacy invoices are version 1: read as the current version, with the currency they were in (USD).
      const upcast = fields.EventTypeName === "InvoiceCreated" ? { currency: "USD" } : {};
      expect(eventOf(entryOf(fields))).toEqual({
        type: fields.EventTypeName,
        payload: { ...JSON.parse(fields.Payload as string), ...upcast },
      });
    },
  );
});

describe("schema versions", () => {
  test("a version 1 InvoiceCreated (no currency) is read as version 2 in USD", () => {
    const { currency: _currency, ...v1 } = invoice;
    const decoded = decodeEntry(entryOf(invoiceFields(v1, { EventVersion: "1" })));
    expect(decoded).toMatchObject({ ok: true, version: 1, event: { payload: { ...v1, currency: "USD" } } });
  });

  test("a version 2 InvoiceCreated without its currency is refused, not defaulted", () => {
    const { currency: _currency, ...v1 } = invoice;
    const decoded = decodeEntry(entryOf(invoiceFields(v1, { EventVersion: "2" })));
    expect(decoded).toMatchObject({ ok: false, reason: expect.stringContaining("currency") });
  });

  test("we write InvoiceCreated as version 2 with its currency", () => {
    const fields = encodeEnvelope(
      envelopeOf({ type: "InvoiceCreated", payload: invoice }, "e", new Date(created_date)),
    );
    expect(fields.slice(fields.indexOf("EventVersion"), fields.indexOf("EventVersion") + 2)).toEqual([
      "EventVersion",
      "2",
    ]);
    expect(JSON.parse(fields[3] as string).currency).toBe("USD");
  });
});

describe("decodeEntry rejects with a reason", () => {
  const rejected: [string, Record<string, string> | string[], string | RegExp][] = [
    ["no EventTypeName", { Payload: JSON.stringify(invoice) }, "missing field EventTypeName"],
    ["no Payload", { EventTypeName: "InvoiceCreated" }, "missing field Payload"],
    [
      "a Payload that is not JSON",
      { EventTypeName: "InvoiceCreated", Payload: "{not json" },
      "not valid JSON",
    ],
    [
      "an unknown type",
      { EventTypeName: "InvoiceRefunded", Payload: "{}" },
      'unknown event type "InvoiceRefunded"',
    ],
    [
      "a repeated field",
      ["EventTypeName", "InvoiceCreated", "Payload", JSON.stringify(invoice), "Payload", "{}"],
      "field repeated: Payload",
    ],
    [
      "a future version",
      invoiceFields(invoice, { EventVersion: "3" }),
      "unsupported version 3 of InvoiceCreated",
    ],
    [
      "a version that is not a number",
      invoiceFields(invoice, { EventVersion: "abc" }),
      'invalid EventVersion "abc"',
    ],
    [
      "a Payload that is not an object",
      { EventTypeName: "InvoiceCreated", Payload: "null" },
      "payload is invalid",
    ],
    [
      "cents written as a string",
      invoiceFields({ ...invoice, purchase_price_cents: "2550" }),
      "purchase_price_cents: must be an integer number of cents",
    ],
    [
      "an id written as a number",
      invoiceFields({ ...invoice, id: 7 }),
      /^InvoiceCreated v1 payload is invalid: id: /,
    ],
    [
      "an id that is not decimal",
      invoiceFields({ ...invoice, id: "abc" }),
      "id: must be a decimal integer string",
    ],
    [
      "negative cents",
      invoiceFields({ ...invoice, purchase_price_cents: -5 }),
      "purchase_price_cents: must be greater than zero",
    ],
    [
      "zero cents",
      invoiceFields({ ...invoice, purchase_price_cents: 0 }),
      "purchase_price_cents: must be greater than zero",
    ],
    [
      "fractional cents",
      invoiceFields({ ...invoice, purchase_price_cents: 10.5 }),
      "purchase_price_cents: must be an integer number of cents",
    ],
    [
      "a purchase_date that is no calendar day",
      invoiceFields({ ...invoice, purchase_date: "2019-02-30" }),
      "purchase_date: is not a real calendar date",
    ],
    [
      "a purchase_date in another format",
      invoiceFields({ ...invoice, purchase_date: "06/01/2019" }),
      "purchase_date: must be a date written YYYY-MM-DD",
    ],
    [
      "a missing field of the payload",
      invoiceFields({ ...invoice, customer_id: undefined }),
      /payload is invalid: customer_id: /,
    ],
  ];

  test.each(rejected)("for %s", (_situation, fields, reason) => {
    const entry = entryOf(fields, "42-3");
    const decoded = decodeEntry(entry);

    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.streamId).toBe("42-3");
    expect(decoded.reason).toMatch(reason);
    expect(Object.keys(decoded.fields).length).toBeGreaterThan(0);
  });
});

describe("decodeEntry tolerates", () => {
  test("payload keys it does not know, and drops them", () => {
    expect(eventOf(entryOf(invoiceFields({ ...invoice, discount_code: "SPRING" })))).toEqual({
      type: "InvoiceCreated",
      payload: invoice,
    });
  });

  test("entry fields it does not know", () => {
    const decoded = decodeEntry(entryOf(invoiceFields(invoice, { TraceParent: "00-abc-01" })));

    expect(decoded.ok).toBe(true);
    expect(decoded.fields.TraceParent).toBe("00-abc-01");
  });
});

describe("typeOfEntry", () => {
  test.each([
    [
      "the type when it is the first field",
      ["EventTypeName", "CustomerCreated", "Payload", "{}"],
      "CustomerCreated",
    ],
    ["the type when it comes after the payload", ["Payload", "{not json", "EventTypeName", "Nope"], "Nope"],
    ["undefined when there is no type", ["Payload", "{}"], undefined],
  ])("reads %s without decoding", (_situation, fields, type) => {
    expect(typeOfEntry(entryOf(fields))).toBe(type);
  });
});

describe("compareStreamIds", () => {
  test.each([
    ["2-0", "10-0", -1],
    ["10-0", "2-0", 1],
    ["5-1", "5-10", -1],
    ["5-10", "5-1", 1],
    ["5-1", "5-1", 0],
    ["0-0", "0-1", -1],
    ["18446744073709551615-0", "18446744073709551614-9", 1],
  ])("orders %s against %s numerically as %d", (a, b, order) => {
    expect(compareStreamIds(a, b)).toBe(order);
  });
});
