import { describe, expect, test } from "bun:test";
import {
  accountDeleted,
  applyAndFold,
  customerCreated,
  customerUpdated,
  expectFoldAgrees,
  identifiedEntry,
  invoiceCreated,
  revenueReadModel,
  useRevenueFixtures,
} from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();

describe("CustomerUpdated", () => {
  test("renames the customer and keeps its totals", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerUpdated("3-0", 1, 1, "Abigail"),
    ];

    applyAndFold(state, entries);

    expect(revenueReadModel(state.database).customers).toEqual({
      1: { name: "Abigail", total: 500, deleted: null },
    });
  });

  test("arriving before its customer, is parked and applied when it comes; naming another account is refused", () => {
    const state = fresh();
    const entries = [
      customerUpdated("1-0", 1, 1, "Renamed"),
      customerCreated("2-0", 1, 1),
      customerUpdated("3-0", 1, 2, "Moved"),
    ];

    state.projection.applyBatch(entries.slice(0, 1));
    expect(revenueReadModel(state.database).parked).toEqual([{ streamId: "1-0", awaiting: "customer:1" }]);
    state.projection.applyBatch(entries.slice(1));

    expectFoldAgrees(state, entries);
    expect(revenueReadModel(state.database)).toMatchObject({
      customers: { 1: { name: "Renamed" } },
      parked: [],
      deadLetters: [{ streamId: "3-0", reason: "customer 1 belongs to account 1, not 2" }],
    });
  });
});

describe("AccountDeleted on the stream", () => {
  test("is passed by the projection: it moves the checkpoint, applies nothing and dead-letters nothing", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      accountDeleted("2-0", 1),
      invoiceCreated("3-0", 10, 1, 500),
      // Malformed, but not ours to judge.
      identifiedEntry("4-0", "AccountDeleted", { id: "x" }),
    ];

    const result = applyAndFold(state, entries);

    expect(result).toMatchObject({ position: "4-0", applied: 2, deadLettered: 0, parked: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 500 },
      deadLetters: [],
      processed: 2,
    });
  });
});
