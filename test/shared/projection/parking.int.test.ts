import { describe, expect, test } from "bun:test";
import { customerEntry, invoiceEntry } from "../../support/entries";
import { projectionState, useRevenueFixtures, ZERO_COUNTS } from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();
const none = ZERO_COUNTS;

describe("an invoice for a customer not seen yet", () => {
  test("is parked, then counted once when the customer arrives in a later batch", () => {
    const { database, projection } = fresh();

    expect(projection.applyBatch([invoiceEntry("1000-0", 1, 5, 900, "e-1")])).toEqual({
      ...none,
      position: "1000-0",
      parked: 1,
    });
    expect(projectionState(database)).toMatchObject({ accounts: { 1: 0 }, invoices: 0, deadLetters: [] });
    expect(projectionState(database).parked).toMatchObject([{ streamId: "1000-0", awaiting: "customer:5" }]);

    expect(projection.applyBatch([customerEntry("2000-0", 5, 1)])).toEqual({
      ...none,
      position: "2000-0",
      applied: 2,
    });
    expect(projectionState(database)).toMatchObject({
      accounts: { 1: 900 },
      customers: { 5: 900 },
      parked: [],
    });
  });

  test("is counted when its customer comes later in the same batch", () => {
    const { database, projection } = fresh();

    const result = projection.applyBatch([invoiceEntry("1-0", 1, 5, 900), customerEntry("2-0", 5, 1)]);

    expect(result).toEqual({ ...none, position: "2-0", applied: 2, parked: 1 });
    expect(projectionState(database)).toMatchObject({ accounts: { 1: 900 }, parked: [], deadLetters: [] });
  });

  test("is dead-lettered once more than parkTimeoutMs of stream time passed without its customer", () => {
    const { database, projection } = fresh({ parkTimeoutMs: 1000 });
    projection.applyBatch([invoiceEntry("5000-0", 1, 5, 900)]);

    expect(projection.applyBatch([customerEntry("6000-0", 1, 1)])).toMatchObject({ deadLettered: 0 });
    expect(projection.applyBatch([customerEntry("6001-0", 2, 1)])).toMatchObject({ deadLettered: 1 });

    expect(projectionState(database)).toMatchObject({ accounts: { 1: 0 }, parked: [] });
    expect(
      projectionState(database).deadLetters.map(({ streamId, reason }) => ({ streamId, reason })),
    ).toEqual([
      {
        streamId: "5000-0",
        reason: "invoice 1 names customer 5, not seen yet; gave up after waiting 1000 ms of stream time",
      },
    ]);
  });

  test.each([
    ["one batch", [3]],
    ["one entry per batch", [1, 1, 1]],
    ["two batches", [2, 1]],
  ])("is counted or dead-lettered the same whichever way the stream is split (%s)", (_, sizes) => {
    const { database, projection } = fresh({ parkTimeoutMs: 1000 });
    const stream = [
      invoiceEntry("1000-0", 1, 5, 900),
      customerEntry("2001-0", 1, 1),
      customerEntry("2002-0", 5, 1),
    ];
    let offset = 0;
    for (const size of sizes as number[]) {
      projection.applyBatch(stream.slice(offset, offset + size));
      offset += size;
    }
    const model = projectionState(database);
    expect(model).toMatchObject({ accounts: { 1: 0 }, invoices: 0, parked: [] });
    expect(model.deadLetters.map(({ streamId }) => streamId)).toEqual(["1000-0"]);
  });
});
