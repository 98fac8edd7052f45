import { describe, expect, test } from "bun:test";
import { START_OF_STREAM } from "../../../shared/events/stream-contract";
import { customerEntry, ENTRY_TIME, entry, invoiceEntry } from "../../support/entries";
import { projectionState, useRevenueFixtures, ZERO_COUNTS } from "../../support/revenue-fixture";

const { fresh, operatorOn } = useRevenueFixtures();
const created_date = ENTRY_TIME;
const none = ZERO_COUNTS;

describe("a batch of good entries", () => {
  test("is applied and moves the checkpoint to its last entry; other known types only move it", () => {
    const { database, projection } = fresh();
    expect(projection.position()).toBe(START_OF_STREAM);

    const result = projection.applyBatch([
      entry("1-0", "AccountCreated", { id: "3", name: "x", description: "", owned_by: "u", created_date }),
      customerEntry("2-0", 1, 1, "e-1"),
      customerEntry("3-0", 2, 2),
      invoiceEntry("4-0", 1, 1, 10000, "e-2"),
      invoiceEntry("4-1", 2, 1, 2550),
      invoiceEntry("10-0", 3, 2, 700),
    ]);

    expect(result).toEqual({ ...none, position: "10-0", applied: 5 });
    expect(projection.position()).toBe("10-0");
    expect(projectionState(database)).toMatchObject({
      accounts: { 1: 12550, 2: 700 },
      customers: { 1: 12550, 2: 700 },
      invoices: 3,
      deadLetters: [],
      deadLetterStream: [],
      processedEvents: 2,
    });
  });

  test("that is empty changes nothing", () => {
    const { projection } = fresh();

    expect(projection.applyBatch([])).toEqual({ ...none, position: START_OF_STREAM });
    expect(projection.position()).toBe(START_OF_STREAM);
  });
});

describe("a batch whose handler fails for a reason other than a rejection", () => {
  test("writes neither its effects nor its checkpoint, and counts each invoice once when applied again", () => {
    const fixture = fresh();
    const { database, projection } = fixture;
    projection.applyBatch([customerEntry("1-0", 1, 1), invoiceEntry("2-0", 1, 1, 1000, "e-1")]);
    const before = projectionState(database);
    // A second connection on the same file, as an operator would have: invoice 3 cannot be inserted.
    const operator = operatorOn(fixture);
    operator.exec(
      "CREATE TRIGGER refuse_invoice_3 BEFORE INSERT ON invoices WHEN NEW.id = 3 BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const batch = [
      invoiceEntry("3-0", 2, 1, 20, "e-2"),
      { id: "3-1", fields: ["EventTypeName", "InvoiceCreated"] },
      invoiceEntry("3-2", 9, 8, 1, "e-9"),
      invoiceEntry("4-0", 3, 1, 300, "e-3"),
      invoiceEntry("5-0", 4, 1, 4000),
    ];

    expect(() => projection.applyBatch(batch)).toThrow("disk trouble");

    expect(projection.position()).toBe("2-0");
    expect(projectionState(database)).toEqual(before);

    operator.exec("DROP TRIGGER refuse_invoice_3");
    expect(projection.applyBatch(batch)).toEqual({
      position: "5-0",
      applied: 3,
      appliedByType: { InvoiceCreated: 3 },
      appliedEventIds: expect.any(Array),
      deadLetters: [expect.objectContaining({ reason: expect.any(String) })],
      duplicates: 0,
      deadLettered: 1,
      parked: 1,
    });
    const after = projectionState(database);
    expect(after).toMatchObject({
      accounts: { 1: 5320 },
      customers: { 1: 5320 },
      invoices: 4,
      processedEvents: 3,
    });
    expect(after.deadLetters.map((letter) => letter.streamId)).toEqual(["3-1"]);
    expect(after.parked.map((parked) => parked.streamId)).toEqual(["3-2"]);
  });
});
