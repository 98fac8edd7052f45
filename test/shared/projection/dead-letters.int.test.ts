import { describe, expect, test } from "bun:test";
import type { RawEntry } from "../../../shared/events/wire";
import { customerEntry, invoiceEntry } from "../../support/entries";
import { projectionState, useRevenueFixtures, ZERO_COUNTS } from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();
const none = ZERO_COUNTS;

describe("entries that cannot be applied", () => {
  test("malformed ones are dead-lettered, queued for the dead-letter stream, and later ones still count", () => {
    const { database, projection } = fresh();

    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1),
      { id: "2-0", fields: ["EventTypeName", "InvoiceCreated", "Payload", "{not json"] },
      { id: "3-0", fields: ["Payload", "{}"] },
      invoiceEntry("4-0", 4, 1, -5),
      invoiceEntry("5-0", 5, 1, 300),
    ]);

    expect(result).toEqual({ ...none, position: "5-0", applied: 2, deadLettered: 3 });
    const model = projectionState(database);
    expect(model.deadLetters.map(({ consumer, streamId }) => ({ consumer, streamId }))).toEqual(
      ["2-0", "3-0", "4-0"].map((streamId) => ({ consumer: "accounts", streamId })),
    );
    const reasons = [
      "Payload is not valid JSON",
      "missing field EventTypeName",
      expect.stringContaining("purchase_price_cents: must be greater than zero"),
    ];
    expect(model.deadLetters.map((letter) => letter.reason)).toEqual(reasons);
    expect(model.deadLetters[0]?.fields).toEqual({ EventTypeName: "InvoiceCreated", Payload: "{not json" });
    expect(
      model.deadLetterStream.map(({ OriginalId, Consumer, Reason }) => [OriginalId, Consumer, Reason]),
    ).toEqual(["2-0", "3-0", "4-0"].map((id, index) => [id, "accounts", reasons[index]]));
    expect(JSON.parse(model.deadLetterStream[0]?.OriginalFields ?? "")).toEqual(model.deadLetters[0]?.fields);
    expect(model.accounts[1]).toBe(300);
  });

  test.each([
    [
      "a customer for an unknown account",
      customerEntry("2-0", 7, 99),
      "customer 7 names account 99, which does not exist",
    ],
    ["a customer id already taken", customerEntry("2-0", 1, 2), "customer 1 already exists"],
    [
      "a repeated invoice id without EventId (legacy)",
      invoiceEntry("2-0", 1, 1, 500),
      "invoice 1 was already counted",
    ],
  ])("%s is dead-lettered and changes nothing", (_situation, bad, reason) => {
    const { database, projection } = fresh();
    projection.applyBatch([customerEntry("1-0", 1, 1), invoiceEntry("1-1", 1, 1, 500)]);

    const result = projection.applyBatch([bad, invoiceEntry("3-0", 2, 1, 40)]);

    expect(result).toEqual({ ...none, position: "3-0", applied: 1, deadLettered: 1 });
    const model = projectionState(database);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "2-0", reason },
    ]);
    expect(model).toMatchObject({ accounts: { 1: 540, 2: 0 }, customers: { 1: 540 }, invoices: 2 });
  });

  test("an invoice id repeated within one batch is dead-lettered once; the rest of the batch is applied", () => {
    const { database, projection } = fresh();
    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1),
      invoiceEntry("1-1", 1, 1, 500),
      invoiceEntry("1-2", 2, 1, 30),
      invoiceEntry("1-3", 1, 1, 7000),
      invoiceEntry("1-4", 3, 1, 4),
    ]);

    expect(result).toEqual({ ...none, position: "1-4", applied: 4, deadLettered: 1 });
    const model = projectionState(database);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "1-3", reason: "invoice 1 was already counted" },
    ]);
    expect(model).toMatchObject({ accounts: { 1: 534, 2: 0 }, customers: { 1: 534 }, invoices: 3 });
  });

  test.each([
    ["AccountCreated", "InvoiceCreated"],
    ["InvoiceCreated", "AccountCreated"],
  ])("an entry whose EventTypeName is repeated (%s, then %s) is dead-lettered", (first, second) => {
    const { database, projection } = fresh();
    const repeated: RawEntry = {
      id: "1-0",
      fields: ["EventTypeName", first, "EventTypeName", second, "Payload", "{}"],
    };
    expect(projection.applyBatch([repeated])).toEqual({ ...none, position: "1-0", deadLettered: 1 });
    expect(projectionState(database).deadLetters.map(({ reason }) => reason)).toEqual([
      "field repeated: EventTypeName",
    ]);
  });
});

describe("a batch whose last entry is rejected", () => {
  test("counts the entries before it once, records their EventIds once, and dead-letters it once", () => {
    const { database, projection } = fresh();

    const result = projection.applyBatch([
      customerEntry("1-0", 1, 1, "customer-1"),
      invoiceEntry("2-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("3-0", 2, 1, 70, "invoice-2"),
      invoiceEntry("4-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("5-0", 2, 1, 70, "invoice-2-again"),
    ]);

    expect(result).toEqual({ ...none, position: "5-0", applied: 3, duplicates: 1, deadLettered: 1 });
    expect(result.appliedEventIds).toEqual(["customer-1", "invoice-1", "invoice-2"]);
    const model = projectionState(database);
    expect(model).toMatchObject({ accounts: { 1: 570 }, customers: { 1: 570 }, invoices: 2 });
    expect(model.processedEvents).toBe(3);
    expect(model.deadLetters.map(({ streamId, reason }) => ({ streamId, reason }))).toEqual([
      { streamId: "5-0", reason: "invoice 2 was already counted" },
    ]);
    expect(model.deadLetterStream).toHaveLength(1);
  });
});
